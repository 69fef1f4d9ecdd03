"""Portable hashing core (no Spark). Drop-in for imagehash 4.3.2: `import sparkhash.core as imagehash`."""

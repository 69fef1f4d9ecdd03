"""Spark adapters: pandas UDFs over the core, table schemas, input reading and output writing."""

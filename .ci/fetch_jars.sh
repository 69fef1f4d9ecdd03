#!/usr/bin/env bash
# Fetch the JARs that give Spark's Hadoop an s3a:// file system: org.apache.hadoop:hadoop-aws at
# the version of the Hadoop inside the installed pyspark wheel, and what it needs at run time
# (the AWS SDK v2 bundle, ...). Idempotent and cached: a folder that already holds the JARs of
# that version is reused. Prints the folder (the value for SPARKHASH_S3_JARS) on stdout.
#
#   .ci/fetch_jars.sh [PYTHON]   (PYTHON: the interpreter whose pyspark decides the version)
set -euo pipefail
python=${1:-python3}

jars_dir=$("$python" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')
client=$(ls "$jars_dir"/hadoop-client-api-*.jar 2>/dev/null | head -n1)
[ -n "$client" ] || { echo "fetch_jars: no hadoop-client-api JAR in $jars_dir" >&2; exit 1; }
hadoop=$(basename "$client" .jar); hadoop=${hadoop#hadoop-client-api-}

cache=${SPARKHASH_JAR_CACHE:-$HOME/.cache/sparkhash/jars}/s3-hadoop-$hadoop
if [ -f "$cache/.complete" ]; then
  echo "$cache"; exit 0
fi

command -v mvn >/dev/null 2>&1 || {
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >/dev/null
}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sparkhash</groupId><artifactId>s3-jars</artifactId><version>0</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.hadoop</groupId><artifactId>hadoop-aws</artifactId><version>$hadoop</version>
    </dependency>
  </dependencies>
</project>
POM
rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
# Runtime dependencies only: hadoop-common and friends are "provided" (the wheel has them).
mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$cache.tmp" >&2
touch "$cache.tmp/.complete"
rm -rf "$cache" && mv "$cache.tmp" "$cache"
echo "$cache"

#!/usr/bin/env bash
# The Delta Lake test environment (issue 20), built and cached by CI itself: Delta Spark 4.4.x
# supports PySpark <= 4.2 only, so the Delta suite runs in a second virtualenv with
# pyspark 4.2.0 (the default environment stays on the latest pyspark) and Delta's JARs.
#
#   .ci/delta_env.sh            -> prints the comma-separated JAR list (SPARKHASH_DELTA_JARS)
#
# Idempotent: the venv (.venv-delta in the source tree) is made once; the JARs are fetched once
# from Maven Central into $HOME/.cache/sparkhash/delta-jars/<version>. Only delta-spark and
# delta-storage go on spark.jars: Delta's other Maven dependencies (hadoop, jackson, scala,
# parquet) are Spark's own and their copies would clash with Spark's.
set -euo pipefail
cd "$(dirname "$0")/.."

PYSPARK_VERSION=4.2.0
DELTA_VERSION=4.4.0
SCALA_SPARK=4.2_2.13
cache=${SPARKHASH_CACHE:-$HOME/.cache/sparkhash}
jars=$cache/delta-jars/$DELTA_VERSION
venv=.venv-delta

if [ ! -f "$venv/.complete-$PYSPARK_VERSION-$DELTA_VERSION" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q -e ".[test]" "pyspark==$PYSPARK_VERSION" "delta-spark==$DELTA_VERSION" >&2
  touch "$venv/.complete-$PYSPARK_VERSION-$DELTA_VERSION"
fi

if ! command -v mvn >/dev/null 2>&1; then
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq maven >/dev/null
fi
mkdir -p "$jars"
list=""
for artifact in "delta-spark_$SCALA_SPARK" delta-storage; do
  jar=$jars/$artifact-$DELTA_VERSION.jar
  if [ ! -s "$jar" ]; then
    mvn -q -B dependency:copy -Dartifact="io.delta:$artifact:$DELTA_VERSION" -Dtransitive=false \
      -DoutputDirectory="$jars" >&2
  fi
  list=${list:+$list,}$jar
done
echo "$list"

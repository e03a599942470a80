#!/usr/bin/env bash
# Fills .gpu/ with what first-contact.sh needs on the GPU machine (a Java runtime, the jars, the test classes,
# JUnit's console launcher), through the shared tool ../shared/tools/gpu-pack (or $GPU_PACK).
#
#   bash bench/gpu/pack.sh        then: run(command="bash bench/gpu/first-contact.sh", carry=[".gpu"])
#
# gpu-pack lists each module's dependencies with `mvn dependency:copy-dependencies`, a goal on its own, for which
# Maven resolves the project's own modules (engine needs kernels) only from a local repository: on a machine where
# they were never installed it stops there. They are installed into a throwaway repository instead, which Maven
# reads before ~/.m2 (maven.repo.local.tail), so no instruct4j jar lands in ~/.m2, where a stale one could stand in
# for the sources in a later build of a single module.
set -euo pipefail
cd "$(dirname "$0")/../.."
pack=${GPU_PACK:-../shared/tools/gpu-pack}
[ -x "$pack" ] || { echo "pack: no gpu-pack at $pack (set GPU_PACK)" >&2; exit 2; }
repo=${INSTRUCT4J_PACK_REPO:-/tmp/instruct4j-pack-repo}
home_repo=$HOME/.m2/repository

./mvnw -q -DskipTests install -Dmaven.repo.local="$repo" -Dmaven.repo.local.tail="$home_repo"
# gpu-pack looks for JUnit's console launcher in ~/.m2 itself: fetch it there, in the version it will ask for.
junit=$(sed -n 's:.*<junit.version>5\.\([0-9.]*\)</junit.version>.*:\1:p' pom.xml | head -n1)
./mvnw -q dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:1.${junit:-11.4}" >/dev/null
MAVEN_ARGS="-Dmaven.repo.local=$repo -Dmaven.repo.local.tail=$home_repo" "$pack" --tests

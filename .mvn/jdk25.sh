# Sourced by mvnw and the instruct4j launcher: points JAVA_HOME at a JDK 25 or stops with what to install.
# Order: JAVA_HOME if it is a 25, then `java` on the PATH, then the usual JVM folders.
# Java names files in the locale's charset, and the C locale's is ASCII (a container or a session with LANG unset):
# a checkout or a folder named with an accent would then be refused. Where the locale is plain ASCII, Java gets C.UTF-8.
if command -v locale >/dev/null && [ "$(locale charmap 2>/dev/null)" = "ANSI_X3.4-1968" ] \
    && locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
  export LC_ALL=C.UTF-8
fi
instruct4j_java_version() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
instruct4j_find_jdk25() {
  local c globbing_was_off=
  case $- in *f*) globbing_was_off=1; set +f;; esac   # mvnw runs with `set -f`
  for c in "${JAVA_HOME:-}" \
           "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" \
           /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/*25* /opt/*jdk*25* "$HOME"/.sdkman/candidates/java/25* \
           /Library/Java/JavaVirtualMachines/*25*/Contents/Home; do
    [ -n "$c" ] && [ -x "$c/bin/javac" ] || continue
    [ "$(instruct4j_java_version "$c")" = "25" ] && { echo "$c"; [ -z "$globbing_was_off" ] || set -f; return 0; }
  done
  [ -z "$globbing_was_off" ] || set -f
  return 1
}
if ! JAVA_HOME="$(instruct4j_find_jdk25)"; then
  echo "instruct4j needs a JDK 25 and found none (looked at JAVA_HOME, java on the PATH, /usr/lib/jvm, /opt, ~/.sdkman, /Library/Java/JavaVirtualMachines)." >&2
  echo "Install one (for example Temurin 25: apt-get install temurin-25-jdk, or sdk install java 25-tem) or set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME

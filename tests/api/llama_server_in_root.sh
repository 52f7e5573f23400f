#!/bin/sh
# Runs Debian testing's llama-server (bench/llama_cpp_root.sh builds the root) as an external
# engine of hearth: chroot into ROOT, with every argument that is a path under ROOT rewritten to
# the path inside it (the models of the test live under ROOT). exec keeps hearth's child pid.
#   llama_server_in_root.sh ROOT -m ROOT/tmp/x/tiny.gguf --port 41234 ...
# Needs root (chroot).
set -eu
root="$1"
shift
for argument do
  shift
  case "$argument" in
    "$root"/*) argument="${argument#"$root"}" ;;
  esac
  set -- "$@" "$argument"
done
exec chroot "$root" /usr/bin/llama-server "$@"

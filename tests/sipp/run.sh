#!/bin/sh
# Real SIPp traffic through the scanner: capture, then check.
# usage: run.sh SIPLB_PARSE CAPTURE_DIR CALLS
set -eu
here=$(dirname "$0")
"$here/capture.sh" "$2" "$3"
exec python3 "$here/check_capture.py" "$1" "$2" "$3"

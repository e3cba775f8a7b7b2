#!/bin/sh
# Append the error-code table of docs/syscalls.md from errors.def.
echo
echo "## Errors"
echo
echo "Syscalls return the negative of these values."
echo
echo "| code | value | meaning |"
echo "|---|---|---|"
sed -n 's/^ERR(\([A-Z_]*\), *\([0-9]*\), *"\(.*\)")$/| `\1` | \2 | \3 |/p' "$1"

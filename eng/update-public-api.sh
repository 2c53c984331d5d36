#!/usr/bin/env bash
# Records every undeclared public symbol of the src/ projects in their PublicAPI.Unshipped.txt (RS0016) and
# drops declared symbols that no longer exist (RS0017), so a change to the public surface is a visible diff in
# review. Run it after changing public API on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."
for round in 1 2 3; do
  log=$(dotnet build Conveyor.slnx -nologo 2>&1 || true)
  missing=$(printf '%s\n' "$log" | grep -o "error RS0016: Symbol '.*' is not part of the declared public API.*\[.*\.csproj\]" | sort -u || true)
  gone=$(printf '%s\n' "$log" | grep -o "PublicAPI\.Unshipped\.txt([0-9]*,1): error RS0017: Symbol '.*' is part of the declared API.*\[.*\.csproj\]" | sort -u || true)
  [ -z "$missing" ] && [ -z "$gone" ] && break
  printf '%s\n' "$gone" | while IFS= read -r line; do
    [ -n "$line" ] || continue
    symbol=$(printf '%s' "$line" | sed -E "s/^.*error RS0017: Symbol '(.*)' is part of the declared API.*$/\1/")
    project=$(printf '%s' "$line" | sed -E 's/.*\[(.*)\]$/\1/')
    file="$(dirname "$project")/PublicAPI.Unshipped.txt"
    grep -vxF -- "$symbol" "$file" > "$file.tmp" || true
    mv "$file.tmp" "$file"
  done
  printf '%s\n' "$missing" | while IFS= read -r line; do
    [ -n "$line" ] || continue
    symbol=$(printf '%s' "$line" | sed -E "s/^error RS0016: Symbol '(.*)' is not part of the declared public API.*$/\1/")
    project=$(printf '%s' "$line" | sed -E 's/.*\[(.*)\]$/\1/')
    printf '%s\n' "$symbol" >> "$(dirname "$project")/PublicAPI.Unshipped.txt"
  done
  for f in src/*/PublicAPI.Unshipped.txt; do
    { head -n 1 "$f"; tail -n +2 "$f" | sort -u; } > "$f.tmp" && mv "$f.tmp" "$f"
  done
done
dotnet build Conveyor.slnx -nologo -v quiet | tail -3

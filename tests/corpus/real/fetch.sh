#!/bin/sh
# Fetches the real corpus into tests/corpus/real/files/ from the public
# repositories it was found in (each at the commit named), and checks each
# file against its SHA-256. The files are not committed: none of them comes
# with a licence that allows it (see README.md).
#
#   tests/corpus/real/fetch.sh            fetch what is missing
#   CLINILOG_REQUIRE_REAL_CORPUS=1 cargo nextest run -E 'test(/capture_real/)'
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/files"
status=0
while IFS="$(printf '\t')" read -r name sha repo commit path; do
    out="$here/files/$name"
    if [ ! -f "$out" ]; then
        url="https://raw.githubusercontent.com/$repo/$commit/$(printf '%s' "$path" | sed 's/ /%20/g')"
        curl -fsSL "$url" -o "$out.part" && mv "$out.part" "$out" || { echo "not fetched: $name ($url)"; status=1; continue; }
    fi
    got=$(sha256sum "$out" | cut -d' ' -f1)
    if [ "$got" != "$sha" ]; then
        echo "wrong SHA-256: $name is $got, the manifest says $sha"
        status=1
    fi
done < "$here/sources.tsv"
exit $status

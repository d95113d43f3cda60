#!/bin/sh
# render SRC OUT: turns each SRC/*.txt (first line: title) into OUT/NAME.html
# and writes an index linking them.
set -eu
src="$1"
out="$2"
mkdir -p "$out"
index="$out/index.html"
echo "<html><head><title>farm multi-stage</title></head><body><h1>Pages</h1><ul>" >"$index"
for page in "$src"/*.txt; do
  name=$(basename "$page" .txt)
  title=$(head -n 1 "$page")
  {
    echo "<html><head><title>$title</title></head><body><h1>$title</h1>"
    tail -n +2 "$page" | sed 's/^$/<\/p><p>/; 1s/^/<p>/; $s/$/<\/p>/'
    echo "</body></html>"
  } >"$out/$name.html"
  echo "<li><a href=\"$name.html\">$title</a></li>" >>"$index"
done
echo "</ul></body></html>" >>"$index"

#!/usr/bin/env bash
# Side-by-side benchmark of gdprdesk and the sqlite3 shell (issues #10, #23).
#
# On one machine, in one run, this script:
#   1. builds gdprdesk (go build -o into a temporary directory);
#   2. writes an N-row Keap-style contacts CSV with bench/gen_contacts.py;
#   3. imports it with `gdprdesk import` and with the sqlite3 shell
#      (.import into a table, the spelled-out countries written as codes as
#      gdprdesk's import does, then indexes on email, country and basis,
#      which count in sqlite's figure);
#   4. runs on both, each step a whole process:
#      - the indexed filter country:DE, first 50 rows (the one-shot query:
#        the median of five runs on each side), then the count;
#      - the free-text filter "anna" (name, email or company): first 50,
#        then the count;
#      - the bulk tag: the contract basis with its evidence on every German
#        contact (~11.8 % of the rows, ~117,600 at a million);
#      - the empty conjunction country:DE basis:none (every German contact
#        now holds a basis): first 50 rows and the count, both 0;
#      - an export to CSV of every contact holding the basis (which checks
#        the tag as well);
#   5. prints, per step, the wall time of each, the ratio gdprdesk/sqlite3,
#      CPU time and peak RSS (/usr/bin/time -v), and the machine.
#
# Correctness, not speed, is asserted: both systems must report the same
# number of rows for every step (imported, matching each filter, updated,
# exported); otherwise the script stops with a message and exit code 1.
#
# Usage:
#   bench/run.sh                # 1,000,000 contacts (several minutes, ~1.5 GB in /tmp)
#   bench/run.sh --rows N       # N contacts
#   bench/run.sh N              # the same
#   bench/run.sh --short        # 50,000 contacts (for CI; well under two minutes)
# Needs go, python3, sqlite3 and /usr/bin/time (GNU time); run as root it
# installs sqlite3 and time with apt-get when they are missing. Data goes to
# a temporary directory under ${TMPDIR:-/tmp}, removed at the end
# (KEEP=1 keeps it and prints where it is).
set -euo pipefail

usage() {
  echo "usage: bench/run.sh [--short | --rows N | N]" >&2
  exit 2
}

N=1000000
case "${1:-}" in
  "") ;;
  --short) N=50000 ;;
  --rows)
    [ $# -eq 2 ] || usage
    shift
    ;;
  -h | --help) usage ;;
esac
case "${1:-}" in
  "" | --short) ;;
  *[!0-9]* | 0 | 0*) usage ;;
  *) N=$1 ;;
esac
[ $# -le 1 ] || usage

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$PATH:/usr/local/go/bin"

die() {
  echo "bench: $*" >&2
  exit 1
}

# --- tools ---------------------------------------------------------------

# need CMD PACKAGE: install PACKAGE with apt-get when CMD is missing (as root),
# else say how to get it.
need() {
  if command -v "$1" >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing $2"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >/dev/null
  else
    die "$1 is missing: install it first (e.g. sudo apt-get install -y $2)"
  fi
}
need sqlite3 sqlite3
need /usr/bin/time time
need python3 python3
command -v go >/dev/null 2>&1 || die "go is missing (looked in PATH and /usr/local/go/bin)"

# The benchmark must not pick up a data directory or key file from the
# environment: every gdprdesk call names its fresh --data directory, and the
# store is not encrypted at rest (contacts are sealed per person either way).
unset GDPRDESK_DATA GDPRDESK_KEY_FILE

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gdprdesk-bench.XXXXXX")
cleanup() {
  if [ "${KEEP:-0}" = 1 ]; then
    echo "bench: data kept in $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

GD="$WORK/gdprdesk"
GD_DATA="$WORK/gdprdesk-data"
DB="$WORK/contacts.db"
CSV="$WORK/contacts.csv"
started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- measuring -------------------------------------------------------------

declare -A T C R # T[step.side]: wall seconds; C: CPU seconds (user + system); R: peak RSS in KiB

# measure STEP SIDE OUT CMD...: runs CMD under /usr/bin/time -v with stdout
# to OUT, keeping its wall time (from the clock around it), CPU time and
# peak RSS. A
# sqlite3 step reads its SQL from the file $WORK/STEP.sql on stdin.
#
# Each step starts with nothing waiting to be written to the disk: `sync`
# runs first, outside the timed span. Otherwise the kernel writes back the
# generated CSV (or what the step before left) about 30 s after it was
# written, in whichever step is running then, on one of the two cores: a
# bulk tag measured 1.13 s after a sync and 1.63–1.68 s with the CSV's
# 175 MB being written back beside it. What a step leaves unwritten when
# it ends is not counted for it; neither side leaves much (sqlite3 syncs
# every commit; gdprdesk's store syncs its tables and flushes its
# memtable at close).
measure() {
  local step=$1 side=$2 out=$3
  shift 3
  local in=/dev/null
  [ "$side" = sqlite3 ] && in="$WORK/$step.sql"
  local t0 t1
  sync
  t0=$(date +%s%N)
  if ! /usr/bin/time -v -o "$WORK/time.txt" "$@" <"$in" >"$out" 2>"$WORK/stderr.txt"; then
    cat "$WORK/stderr.txt" >&2
    die "$side failed in step $step: $*"
  fi
  t1=$(date +%s%N)
  T[$step.$side]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  C[$step.$side]=$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' "$WORK/time.txt")
  R[$step.$side]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
}

# json FILE KEY: a top-level number from a JSON document.
json() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

# csv_rows FILE: data rows of a CSV with a header (quoted cells may hold commas).
csv_rows() {
  python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))) - 1)' "$1"
}

declare -A COUNT # COUNT[step]: the row count both systems agreed on
FAILED=0

# same STEP WHAT GDPRDESK_COUNT SQLITE_COUNT: records the count, or the mismatch.
same() {
  if [ "$3" = "$4" ]; then
    COUNT[$1]=$3
    printf '   %-22s %s\n' "$2" "$3 on both"
  else
    COUNT[$1]="≠"
    FAILED=1
    echo "bench: MISMATCH in step $1 ($2): gdprdesk $3, sqlite3 $4" >&2
  fi
}

# --- build and data ----------------------------------------------------------

echo "== building gdprdesk"
(cd "$ROOT" && go build -o "$GD" .)

echo "== generating $N contacts"
python3 "$ROOT/bench/gen_contacts.py" "$N" >"$CSV"
echo "   $(du -h "$CSV" | cut -f1) CSV, $(csv_rows "$CSV") rows"

# The same predicates on both sides.
#
# Countries: the generated CSV spells some out ("Germany", "France");
# gdprdesk's import normalizes them to DE and FR, so the sqlite3 import
# writes them as codes too (an UPDATE counted in its import), and both sides
# filter on the codes.
#
# Free text: gdprdesk matches a bare word case-insensitively (Unicode lower
# case) in "first last", the email and the company. The sqlite3 side searches
# the same three texts with LIKE, which folds case for ASCII letters only:
# the rules agree for an ASCII word such as "anna" (and for every name in the
# generated data), and the counts are compared.
#
# Bulk tag: the contract basis with its evidence on every contact in DE;
# then the empty conjunction (DE without a basis: nobody) on the indexes of
# both, and the export of every contact holding the basis.
GD_INDEXED="country:DE"
SQ_INDEXED="country = 'DE'"
GD_TEXT="anna"
SQ_TEXT="(first_name || ' ' || last_name LIKE '%anna%' OR email LIKE '%anna%' OR company LIKE '%anna%')"
GD_UPDATE="country:DE"
SQ_UPDATE="country = 'DE'"
GD_EMPTY="country:DE basis:none"
SQ_EMPTY="country = 'DE' AND basis IS NULL"
BASIS=contract
EVIDENCE="bench: signed contract 2024"

cat >"$WORK/import.sql" <<EOF
CREATE TABLE contacts (
  first_name TEXT, last_name TEXT, email TEXT, phone TEXT, street TEXT,
  city TEXT, postal_code TEXT, country TEXT, company TEXT, source TEXT,
  tags TEXT, created_at TEXT
);
.import --csv --skip 1 $CSV contacts
UPDATE contacts SET country = 'DE' WHERE country = 'Germany';
UPDATE contacts SET country = 'FR' WHERE country = 'France';
ALTER TABLE contacts ADD COLUMN basis TEXT;
ALTER TABLE contacts ADD COLUMN basis_evidence TEXT;
CREATE UNIQUE INDEX contacts_email ON contacts (email);
CREATE INDEX contacts_country ON contacts (country);
CREATE INDEX contacts_basis ON contacts (basis);
SELECT count(*) FROM contacts;
EOF
cat >"$WORK/indexed50.sql" <<EOF
.mode csv
SELECT * FROM contacts WHERE $SQ_INDEXED LIMIT 50;
EOF
cat >"$WORK/indexedcount.sql" <<EOF
SELECT count(*) FROM contacts WHERE $SQ_INDEXED;
EOF
cat >"$WORK/text50.sql" <<EOF
.mode csv
SELECT * FROM contacts WHERE $SQ_TEXT LIMIT 50;
EOF
cat >"$WORK/textcount.sql" <<EOF
SELECT count(*) FROM contacts WHERE $SQ_TEXT;
EOF
cat >"$WORK/update.sql" <<EOF
UPDATE contacts SET basis = '$BASIS', basis_evidence = '$EVIDENCE' WHERE $SQ_UPDATE AND basis IS NOT '$BASIS';
SELECT changes();
EOF
cat >"$WORK/empty50.sql" <<EOF
.mode csv
SELECT * FROM contacts WHERE $SQ_EMPTY LIMIT 50;
EOF
cat >"$WORK/emptycount.sql" <<EOF
SELECT count(*) FROM contacts WHERE $SQ_EMPTY;
EOF
cat >"$WORK/export.sql" <<EOF
.headers on
.mode csv
.once $WORK/export-sqlite3.csv
SELECT * FROM contacts WHERE basis = '$BASIS';
EOF

declare -A RUNS # RUNS[step]: how many runs a median step took

# median STEP SIDE OUT RUNS CMD...: measure CMD RUNS times and keep the run
# of median wall time (the one-shot query takes milliseconds: one run on a
# shared machine says little).
median() {
  local step=$1 side=$2 out=$3 runs=$4
  shift 4
  local i walls=() cpus=() rss=()
  for ((i = 0; i < runs; i++)); do
    measure "$step" "$side" "$out" "$@"
    walls+=("${T[$step.$side]}")
    cpus+=("${C[$step.$side]}")
    rss+=("${R[$step.$side]}")
  done
  local mid
  mid=$(for i in "${!walls[@]}"; do echo "${walls[$i]} $i"; done | sort -n | awk -v m=$((runs / 2)) 'NR == m + 1 { print $2 }')
  T[$step.$side]=${walls[$mid]}
  C[$step.$side]=${cpus[$mid]}
  R[$step.$side]=${rss[$mid]}
  RUNS[$step]=$runs
}

# --- the steps ----------------------------------------------------------------

echo "== import"
measure import gdprdesk "$WORK/import.json" "$GD" import "$CSV" --data "$GD_DATA" --json
measure import sqlite3 "$WORK/import.out" sqlite3 -batch -bail "$DB"
same import "rows imported" "$(json "$WORK/import.json" created)" "$(tail -n1 "$WORK/import.out")"
[ "${COUNT[import]}" = "$N" ] || die "expected $N rows imported, got ${COUNT[import]}"

echo "== indexed filter ($GD_INDEXED), the one-shot query"
median indexed50 gdprdesk "$WORK/indexed50.json" 5 "$GD" contacts --data "$GD_DATA" --query "$GD_INDEXED" --limit 50 --json
median indexed50 sqlite3 "$WORK/indexed50.out" 5 sqlite3 -batch -bail "$DB"
same indexed50 "first rows shown" "$(json "$WORK/indexed50.json" count)" "$(wc -l <"$WORK/indexed50.out")"
# `contacts --count` reads a maintained counter for a one-term query (this
# one) and walks the matches otherwise.
measure indexedcount gdprdesk "$WORK/indexedcount.json" "$GD" contacts --data "$GD_DATA" --query "$GD_INDEXED" --count --json
measure indexedcount sqlite3 "$WORK/indexedcount.out" sqlite3 -batch -bail "$DB"
same indexedcount "rows matching" "$(json "$WORK/indexedcount.json" count)" "$(cat "$WORK/indexedcount.out")"

echo "== free-text filter ($GD_TEXT)"
measure text50 gdprdesk "$WORK/text50.json" "$GD" contacts --data "$GD_DATA" --query "$GD_TEXT" --limit 50 --json
measure text50 sqlite3 "$WORK/text50.out" sqlite3 -batch -bail "$DB"
same text50 "first rows shown" "$(json "$WORK/text50.json" count)" "$(wc -l <"$WORK/text50.out")"
measure textcount gdprdesk "$WORK/textcount.json" "$GD" contacts --data "$GD_DATA" --query "$GD_TEXT" --count --json
measure textcount sqlite3 "$WORK/textcount.out" sqlite3 -batch -bail "$DB"
same textcount "rows matching" "$(json "$WORK/textcount.json" count)" "$(cat "$WORK/textcount.out")"

echo "== bulk tag ($GD_UPDATE gets basis $BASIS)"
measure update gdprdesk "$WORK/update.out" "$GD" tag --data "$GD_DATA" --query "$GD_UPDATE" --basis "$BASIS" --evidence "$EVIDENCE"
measure update sqlite3 "$WORK/update.sqlout" sqlite3 -batch -bail "$DB"
# gdprdesk prints "Added contract on 117,647 contact(s); 0 already had it."
gd_updated=$(sed -n "s/^Added $BASIS on \([0-9,]*\) contact.*/\1/p" "$WORK/update.out" | tr -d ,)
[ -n "$gd_updated" ] || die "could not read the count from gdprdesk tag: $(cat "$WORK/update.out")"
same update "rows updated" "$gd_updated" "$(cat "$WORK/update.sqlout")"
[ "${COUNT[update]}" = "${COUNT[indexedcount]}" ] || die "tagged ${COUNT[update]} contacts, ${COUNT[indexedcount]} match $GD_UPDATE"

echo "== empty conjunction ($GD_EMPTY)"
median empty50 gdprdesk "$WORK/empty50.json" 3 "$GD" contacts --data "$GD_DATA" --query "$GD_EMPTY" --limit 50 --json
median empty50 sqlite3 "$WORK/empty50.out" 3 sqlite3 -batch -bail "$DB"
same empty50 "first rows shown" "$(json "$WORK/empty50.json" count)" "$(wc -l <"$WORK/empty50.out")"
measure emptycount gdprdesk "$WORK/emptycount.json" "$GD" contacts --data "$GD_DATA" --query "$GD_EMPTY" --count --json
measure emptycount sqlite3 "$WORK/emptycount.out" sqlite3 -batch -bail "$DB"
same emptycount "rows matching" "$(json "$WORK/emptycount.json" count)" "$(cat "$WORK/emptycount.out")"
[ "${COUNT[emptycount]}" = 0 ] || die "$GD_EMPTY should match nobody after the tag, matched ${COUNT[emptycount]}"

echo "== export to CSV (basis:$BASIS)"
measure export gdprdesk /dev/null "$GD" export contacts --data "$GD_DATA" --format csv --query "basis:$BASIS" --out "$WORK/export-gdprdesk.csv"
measure export sqlite3 /dev/null sqlite3 -batch -bail "$DB"
same export "rows exported" "$(csv_rows "$WORK/export-gdprdesk.csv")" "$(csv_rows "$WORK/export-sqlite3.csv")"
[ "${COUNT[export]}" = "${COUNT[update]}" ] || die "exported ${COUNT[export]} contacts holding the basis, tagged ${COUNT[update]}"

# --- report -------------------------------------------------------------------

thousands() { echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }
secs() { awk -v s="$1" 'BEGIN { if (s < 1) printf "%.0f ms", s * 1000; else printf "%.2f s", s }'; }
cpu() { awk -v s="$1" 'BEGIN { if (s < 0.01) print "< 10 ms"; else if (s < 1) printf "%.0f ms", s * 1000; else printf "%.2f s", s }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "-"; else if (a / b < 10) printf "%.1f×", a / b; else printf "%.0f×", a / b }'; }

echo
echo "gdprdesk vs sqlite3, $N contacts: wall clock of each whole process (start-up included);"
echo "CPU = user + system time; CPU and peak RSS from /usr/bin/time -v"
echo
echo "| step | rows | gdprdesk | sqlite3 | gdprdesk/sqlite3 | CPU gdprdesk | CPU sqlite3 | peak RSS gdprdesk | peak RSS sqlite3 |"
echo "|---|---|---|---|---|---|---|---|---|"
row() {
  local step=$1 label=$2
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(thousands "${COUNT[$step]}")" \
    "$(secs "${T[$step.gdprdesk]}")" "$(secs "${T[$step.sqlite3]}")" \
    "$(ratio "${T[$step.gdprdesk]}" "${T[$step.sqlite3]}")" \
    "$(cpu "${C[$step.gdprdesk]}")" "$(cpu "${C[$step.sqlite3]}")" \
    "$(mib "${R[$step.gdprdesk]}")" "$(mib "${R[$step.sqlite3]}")"
}
row import "import the CSV (sqlite3: + 3 indexes)"
row indexed50 "one-shot: $GD_INDEXED, first 50 (median of ${RUNS[indexed50]})"
row indexedcount "indexed filter $GD_INDEXED, count"
row text50 "free text \"$GD_TEXT\", first 50"
row textcount "free text \"$GD_TEXT\", count"
row update "bulk tag: basis $BASIS on $GD_UPDATE"
row empty50 "empty conjunction $GD_EMPTY, first 50 (median of ${RUNS[empty50]})"
row emptycount "empty conjunction $GD_EMPTY, count"
row export "export basis:$BASIS to CSV"

echo
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)," \
  "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
echo "versions: $(go version | cut -d' ' -f3-), sqlite3 $(sqlite3 --version | cut -d' ' -f1-2)"
# What a process start alone costs here (the median of five runs of
# /bin/true): the one-shot rows above include it on both sides, and it
# differs between machines by an order of magnitude.
true_ms=$(for _ in 1 2 3 4 5; do
  t0=$(date +%s%N)
  /bin/true
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000))
done | sort -n | sed -n 3p)
echo "load average: $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "process start: /bin/true takes $(awk -v u="$true_ms" 'BEGIN { printf "%.1f ms", u / 1000 }') (median of 5)"
echo "disk: gdprdesk store $(du -sh "$GD_DATA" | cut -f1), sqlite3 database $(du -sh "$DB" | cut -f1)"
echo "whole run: $(($(date +%s) - started)) s"

if [ "$FAILED" != 0 ]; then
  die "the two systems disagree on a count (see MISMATCH above)"
fi
echo "counts agree on every step"

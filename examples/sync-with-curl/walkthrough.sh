#!/usr/bin/env bash
# RFC 6578 collection sync, step by step, with nothing but curl.
#
#   bash walkthrough.sh [BASE_URL]        (default http://127.0.0.1:8080)
#
# Works on /walkthrough/ on the server, which it deletes first, so it can be
# run again and again. Prints each request's status and, for each sync
# REPORT, the href and status of every DAV:response. Sync tokens are shown
# as <token> so the output is the same on every run (expected-output.txt).
set -euo pipefail

BASE=${1:-http://127.0.0.1:8080}
BASE=${BASE%/}
COLLECTION=/walkthrough/
BODY=$(mktemp)
trap 'rm -f "$BODY"' EXIT

# request METHOD PATH [curl options…]: prints "METHOD PATH -> STATUS"; the answer is left in $BODY.
request() {
  local method=$1 path=$2 status
  shift 2
  status=$(curl -sS -o "$BODY" -w '%{http_code}' -X "$method" "$@" "$BASE$path")
  echo "$method $path -> $status"
}

put() {
  request PUT "$1" -H 'Content-Type: text/plain' --data-binary "$2" "${@:3}"
}

# sync TOKEN [NRESULTS]: a sync-collection REPORT on the collection, level 1, asking for ETags.
sync() {
  local limit=''
  if [ -n "${2:-}" ]; then limit="<D:limit><D:nresults>$2</D:nresults></D:limit>"; fi
  request REPORT "$COLLECTION" -H 'Content-Type: application/xml; charset=utf-8' --data-binary "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<D:sync-collection xmlns:D=\"DAV:\">
  <D:sync-token>$1</D:sync-token>
  <D:sync-level>1</D:sync-level>
  $limit
  <D:prop><D:getetag/></D:prop>
</D:sync-collection>"
  summary
}

# One line per DAV:response, "  HREF STATUS" (the first status in it), then the token, masked.
# (A 200 is a member that is new or changed, a 404 one that was removed,
# and a 507 on the collection itself means "more to come: page on".)
summary() {
  { tr -d '\r\n' <"$BODY"; echo; } | sed 's|<D:response>|\
|g' | sed -n -e 's|</D:status>.*||' -e 's|^<D:href>\([^<]*\)</D:href>.*HTTP/1\.1 \([0-9][0-9][0-9]\).*|  \1 \2|p'
  if [ -n "$(token)" ]; then echo '  sync-token <token>'; fi
}

# The DAV:sync-token of the last answer.
token() {
  tr -d '\r\n' <"$BODY" | sed -n 's|.*<D:sync-token>\([^<]*\)</D:sync-token>.*|\1|p'
}

need_token() {
  if [ -z "$(token)" ]; then echo "no DAV:sync-token in the answer:" >&2; cat "$BODY" >&2; exit 1; fi
  token
}

# A clean start (its status depends on earlier runs, so it is not printed).
if ! curl -sS -o /dev/null -X DELETE "$BASE$COLLECTION"; then
  echo "cannot reach $BASE: start a server first (npm start)" >&2
  exit 1
fi

echo '1. Create a collection and put two files'
request MKCOL "$COLLECTION"
put /walkthrough/a.txt 'alpha'
put /walkthrough/b.txt 'bravo'

echo
echo '2. Initial sync: an empty sync-token asks for every member'
sync ''
first=$(need_token)

echo
echo '3. Change a.txt, delete b.txt'
put /walkthrough/a.txt 'alpha, edited'
request DELETE /walkthrough/b.txt

echo
echo '4. Delta: the token from step 2 asks for what changed since'
sync "$first"
second=$(need_token)

echo
echo '5. Paging: two new files, then a delta from the token of step 4, one result per page'
put /walkthrough/c.txt 'charlie'
put /walkthrough/d.txt 'delta'
current=$second
for page in 1 2 3 4 5; do
  echo "page $page:"
  answer=$(sync "$current" 1)
  echo "$answer"
  current=$(need_token)
  # No 507 for the collection: that was the last page.
  case $answer in *"  $COLLECTION 507"*) ;; *) break ;; esac
done

echo
echo "6. Conditional PUT: If: <collection URL> (<token>) holds only while nothing changed (RFC 6578 §5)"
echo 'with the token of the last page, which is current:'
put /walkthrough/e.txt 'echo' -H "If: <$BASE$COLLECTION> (<$current>)"
echo 'with the same token again, stale now that e.txt changed the collection:'
put /walkthrough/f.txt 'foxtrot' -H "If: <$BASE$COLLECTION> (<$current>)"

#!/usr/bin/python3
"""
Collection sync through Debian's python3-caldav (0.11), for the davsync
interop tests. Run with /usr/bin/python3 (where apt installs caldav):

    caldav_sync.py CALENDAR_URL            initial sync (no token)
    caldav_sync.py CALENDAR_URL TOKEN      delta since TOKEN, loading each
                                           changed object with GET

Prints one JSON object on stdout:

    {"token": "...", "objects": [{"path": "/dav/cal/a.ics", "etag": "\\"..\\"",
      "deleted": false, "uid": "a@example.com", "getEtag": "\\"..\\""}, ...]}

`path` is the decoded URL path caldav resolved the href to. `etag` is what
the sync report said (None for a removed member, which the report gives as
a 404). In delta mode each object is then loaded (GET): `deleted` is True
when that was a 404; otherwise `uid` is the UID parsed from the iCalendar
data and `getEtag` the GET's ETag.
"""
import json
import os
import sys
from urllib.parse import unquote, urlsplit

# Make caldav raise on any deviation from what it expects of a server,
# rather than only logging it (its default, "PRODUCTION").
os.environ.setdefault("PYTHON_CALDAV_DEBUGMODE", "DEVELOPMENT")

import caldav  # noqa: E402
from caldav.elements import dav  # noqa: E402
from caldav.lib import error  # noqa: E402


def describe(obj):
    return {
        "path": unquote(urlsplit(str(obj.url)).path),
        "etag": obj.props.get(dav.GetEtag.tag),
    }


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 64
    url = argv[1]
    token = argv[2] if len(argv) == 3 else None
    client = caldav.DAVClient(url=url, timeout=20)
    calendar = client.calendar(url=url)
    if token is None:
        result = calendar.objects_by_sync_token(sync_token=None, load_objects=False)
        objects = [describe(o) for o in result]
    else:
        result = calendar.objects_by_sync_token(sync_token=token, load_objects=False)
        objects = []
        for o in result:
            # What load_objects=True does, keeping the report's ETag (load()
            # replaces it with the GET's) and telling a removed member apart.
            item = describe(o)
            try:
                o.load()
                item["deleted"] = False
                item["uid"] = str(o.icalendar_instance.walk("VEVENT")[0]["UID"])
                item["getEtag"] = o.props.get(dav.GetEtag.tag)
            except error.NotFoundError:
                item["deleted"] = True
            objects.append(item)
    json.dump({"token": result.sync_token, "objects": objects}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

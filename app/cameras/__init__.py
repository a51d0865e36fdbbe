"""Always-on camera watching (docs/cameras.md): the camera registry, one watcher per watched
camera, presence, and the event feed (SQLite, buses, live streams)."""

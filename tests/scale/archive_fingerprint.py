"""What must not change when an image is saved again: a fingerprint of a
docker-archive (`farm save`) that leaves out only the names it was saved
under."""

import hashlib
import json
import tarfile


def archive_fingerprint(path):
    """(digest, tags) of the docker-archive at `path`. The digest covers
    every file in it byte for byte, except that manifest.json is read
    without its RepoTags and `repositories` (which only maps tags to the
    image) is left out; `tags` is what RepoTags named."""
    files, tags = {}, []
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            if not member.isfile() or member.name == "repositories":
                continue
            data = tar.extractfile(member).read()
            if member.name == "manifest.json":
                items = json.loads(data)
                for item in items:
                    tags.extend(item.pop("RepoTags", None) or [])
                data = json.dumps(items, sort_keys=True).encode()
            files[member.name] = hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode())
    return digest.hexdigest(), tags

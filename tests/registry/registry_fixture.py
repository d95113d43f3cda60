"""Debian's docker-registry on 127.0.0.1 for tests: a free port, temp
storage, optional htpasswd basic auth, and a request log to count what
clients fetched."""

import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    def __init__(self, users=None):
        self.dir = tempfile.mkdtemp(prefix="registry-",
                                    dir=os.environ.get("TEST_TMPDIR"))
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        auth = ""
        if users:
            htpasswd = os.path.join(self.dir, "htpasswd")
            with open(htpasswd, "w") as f:
                for user, password in users.items():
                    line = subprocess.run(
                        ["htpasswd", "-Bbn", user, password], check=True,
                        capture_output=True, text=True).stdout.strip()
                    f.write(line + "\n")
            auth = (f"auth:\n  htpasswd:\n    realm: farm-test\n"
                    f"    path: {htpasswd}\n")
        config = os.path.join(self.dir, "config.yml")
        with open(config, "w") as f:
            f.write(f"""version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {self.dir}/data
  delete:
    enabled: true
http:
  addr: {self.host}
{auth}""")
        self.log_path = os.path.join(self.dir, "registry.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", config],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # 401 with auth: it is up
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("docker-registry did not start:\n" + self.logs())

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def blob_gets(self, repository, digest):
        """How many successful GETs of blob `digest` of `repository` the
        registry served."""
        pattern = re.compile(r'"GET /v2/' + re.escape(repository) + r'/blobs/' +
                             re.escape(digest) + r' HTTP/[0-9.]+" (200|307)')
        return len(pattern.findall(self.logs()))

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.log.close()

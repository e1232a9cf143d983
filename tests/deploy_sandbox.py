"""The sandbox docs/DEPLOY.md's commands run in (tests/test_deploy.py): a temporary server
root, Debian's nginx on it, and stand-ins for host tools. Standard library only: each
stand-in is a new process, and must start fast.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = "linli.example.org"
# The real tools, never the sandbox's stand-ins of the same name (those come first on PATH).
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NGINX = shutil.which("nginx", path=SYSTEM_PATH) or "/usr/sbin/nginx"
SYSTEMD_ANALYZE = shutil.which("systemd-analyze", path=SYSTEM_PATH)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sandbox:
    """A temporary server root: /etc, /srv/linli and /var live under ``root``; the code
    at /srv/linli/app is this checkout; 127.0.0.1:8000 is a free port."""

    def __init__(self, root: Path):
        self.root = root
        self.app_port = free_port()
        self.http_port, self.https_port = free_port(), free_port()
        self.rewrites = [
            ("/srv/linli/app/instance/", str(root / "srv" / "linli" / "instance") + "/"),
            ("/srv/linli/app", str(ROOT)),
            ("/srv/linli", str(root / "srv" / "linli")),
            ("/etc/", str(root / "etc") + "/"),
            ("/var/", str(root / "var") + "/"),
            ("127.0.0.1:8000", f"127.0.0.1:{self.app_port}"),
        ]
        for folder in ("etc/systemd/system", "etc/cron.d", "etc/ssl/linli", "var/log/nginx", "bin", "run"):
            (root / folder).mkdir(parents=True, exist_ok=True)
        if Path("/etc/nginx").is_dir():
            shutil.copytree("/etc/nginx", root / "etc" / "nginx", symlinks=True)
            for enabled in (root / "etc" / "nginx" / "sites-enabled").iterdir():
                enabled.unlink()
            (root / "etc" / "nginx" / "sites-enabled" / "default").symlink_to(root / "etc" / "nginx" / "sites-available" / "default")
        make_certificate(root / "etc" / "ssl" / "linli")

    def rewrite(self, text: str) -> str:
        """``text`` with every path and address moved into the sandbox, in one pass (the
        first rule that matches at a place wins; replaced text is not rewritten again)."""
        table = dict(self.rewrites)
        pattern = "|".join(re.escape(old) for old, _ in self.rewrites)
        return re.sub(pattern, lambda match: table[match.group(0)], text)


def make_certificate(folder: Path) -> Path:
    """A self-signed certificate for the example site, as a provider's would be placed."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={SITE}",
         "-addext", f"subjectAltName=DNS:{SITE}", "-keyout", str(folder / "privkey.pem"),
         "-out", str(folder / "fullchain.pem")],
        check=True, capture_output=True,
    )
    return folder / "fullchain.pem"


# --- the sandboxed nginx ---------------------------------------------------------------


def nginx_configuration(sandbox: Sandbox) -> Path:
    """Debian's nginx.conf and the enabled sites, with paths and ports moved into the
    sandbox (IPv6 listeners left out: the sandbox listens on 127.0.0.1 only)."""
    etc = sandbox.root / "etc" / "nginx"
    run = sandbox.root / "run" / "nginx"
    (run / "sites").mkdir(parents=True, exist_ok=True)
    for old in (run / "sites").iterdir():
        old.unlink()
    for site in sorted((etc / "sites-enabled").iterdir()):
        text = sandbox.rewrite(site.read_text())
        text = re.sub(r"^\s*listen \[::\].*$", "", text, flags=re.M)
        text = text.replace("listen 80 default_server;", f"listen 127.0.0.1:{free_port()} default_server;")
        text = text.replace("listen 80;", f"listen 127.0.0.1:{sandbox.http_port};")
        text = text.replace("listen 443 ssl", f"listen 127.0.0.1:{sandbox.https_port} ssl")
        (run / "sites" / site.name).write_text(text)
    main = (etc / "nginx.conf").read_text()
    main = re.sub(r"^pid .*;$", f"pid {run / 'nginx.pid'};", main, flags=re.M)
    main = re.sub(r"^error_log .*;$", f"error_log {run / 'error.log'};", main, flags=re.M)
    main = main.replace("include /etc/nginx/sites-enabled/*;", f"include {run / 'sites'}/*;")
    main = main.replace("/etc/nginx/", f"{etc}/").replace("/var/log/nginx/", f"{sandbox.root}/var/log/nginx/")
    # The sandbox lives in the test's private temporary folder: workers run as its owner.
    main = re.sub(r"^user .*;$", "user root;" if os.getuid() == 0 else "", main, flags=re.M)
    (run / "nginx.conf").write_text(main)
    return run / "nginx.conf"


# --- stand-ins for host tools ------------------------------------------------------------

SHIM = '''#!{python}
import json, os, pathlib, re, subprocess, sys, time
sys.path.insert(0, {root!r})
from tests.deploy_sandbox import shim_main
shim_main({name!r}, sys.argv[1:])
'''


def install_shims(sandbox: Sandbox) -> Path:
    binary = sandbox.root / "bin"
    for name in ("apt-get", "useradd", "chown", "sudo", "git", "systemctl", "systemd-analyze", "nginx"):
        shim = binary / name
        shim.write_text(SHIM.format(python=sys.executable, root=str(ROOT), name=name))
        shim.chmod(0o755)
    return binary


def _record(name: str, args: list[str]) -> None:
    with open(os.environ["LINLI_SANDBOX_LOG"], "a") as log:
        log.write(json.dumps([name, *args]) + "\n")


def shim_main(name: str, args: list[str]) -> None:
    """What each stand-in does (see the module docstring); runs in its own process."""
    _record(name, args)
    sandbox = Sandbox.__new__(Sandbox)
    state = json.loads(os.environ["LINLI_SANDBOX"])
    sandbox.root, sandbox.app_port = Path(state["root"]), state["app_port"]
    sandbox.http_port, sandbox.https_port = state["http_port"], state["https_port"]
    sandbox.rewrites = [tuple(pair) for pair in state["rewrites"]]
    if name == "apt-get":
        assert args[0] == "install", args
        for package in [a for a in args[1:] if not a.startswith("-")]:
            known = subprocess.run(["dpkg", "-s", package], capture_output=True).returncode == 0 or \
                subprocess.run(["apt-cache", "show", package], capture_output=True).returncode == 0
            if not known:
                sys.exit(f"apt-get stand-in: no Debian package {package}")
    elif name == "useradd":
        home = args[args.index("--home-dir") + 1]
        Path(home).mkdir(parents=True, exist_ok=True)
    elif name == "chown":
        assert re.fullmatch(r"\w+:\w+", args[0]) and all(Path(a).exists() for a in args[1:]), args
    elif name == "sudo":
        assert args[0] == "-u", args
        os.environ["PGUSER"] = args[1]
        os.execvp(args[2], args[2:])
    elif name == "git":
        if args[0] == "clone":
            assert Path(args[-1]) == ROOT, args  # the checkout is already in place
        else:
            assert args == ["pull", "--ff-only"], args  # never pull in a test
    elif name == "systemctl":
        _systemctl(sandbox, args)
    elif name == "systemd-analyze":
        assert args[0] == "verify", args
        checked = sandbox.root / "run" / Path(args[1]).name
        checked.write_text(sandbox.rewrite(Path(args[1]).read_text()))
        sys.exit(subprocess.run([SYSTEMD_ANALYZE, "verify", str(checked)]).returncode if SYSTEMD_ANALYZE else 0)
    elif name == "nginx":
        assert args == ["-t"], args
        result = subprocess.run([NGINX, "-t", "-c", str(nginx_configuration(sandbox))], capture_output=True, text=True)
        sys.stderr.write(result.stderr)
        sys.exit(result.returncode)


def _systemctl(sandbox: Sandbox, args: list[str]) -> None:
    command, unit = args[0], args[-1]
    units = sandbox.root / "etc" / "systemd" / "system"
    pid_file = sandbox.root / "run" / "linli.pid"
    if command == "daemon-reload":
        return
    if unit == "nginx":
        assert command == "reload", args
        result = subprocess.run([NGINX, "-t", "-c", str(nginx_configuration(sandbox))], capture_output=True, text=True)
        sys.exit(result.returncode)
    assert unit == "linli", args
    if command in ("stop", "reload"):
        if not pid_file.exists():
            if command == "stop":
                return  # stopping a stopped unit is fine
            sys.exit("linli is not running")
        pid = int(pid_file.read_text())
        os.kill(pid, 15 if command == "stop" else 1)
        if command == "stop":
            for _ in range(600):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    pid_file.unlink()
                    return
                time.sleep(0.1)
            sys.exit("linli did not stop")
        return
    assert command in ("start", "enable"), args
    unit_file = units / "linli.service"
    checked = sandbox.root / "run" / "linli.service"
    checked.write_text(sandbox.rewrite(unit_file.read_text()))
    if SYSTEMD_ANALYZE:
        subprocess.run([SYSTEMD_ANALYZE, "verify", str(checked)], check=True)
    settings = dict(re.findall(r"^(\w+)=(.*)$", checked.read_text(), flags=re.M))
    environment = {}
    for line in Path(settings["EnvironmentFile"]).read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            environment[key.strip()] = sandbox.rewrite(value.strip())
    environment["WEB_CONCURRENCY"] = "2"  # the sandbox shares its machine
    environment["PGUSER"] = settings["User"]
    log = open(sandbox.root / "run" / "linli.log", "a")
    process = subprocess.Popen(
        settings["ExecStart"].split(), cwd=settings["WorkingDirectory"], env={**os.environ, **environment},
        stdout=log, stderr=log, start_new_session=True,
    )
    pid_file.write_text(str(process.pid))
    from tests.servers import wait_until_healthy

    wait_until_healthy("127.0.0.1", sandbox.app_port, process, within=120)

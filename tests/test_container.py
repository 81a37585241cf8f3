"""The container: the Dockerfile installs exactly requirements.txt, copies what `python bot.py` imports, runs as a
non-root user with `python bot.py`, and bakes in no secret; docker-compose.yml runs the bot with env_file .env,
REDIS_URL pointing at its Redis service (append-only, on a volume) and a /healthz health check.

These read the files (PyYAML for compose), so they always run. The image itself is built only where a docker daemon
runs and PyPI is reachable (CI has neither: the build test says so and skips).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRETS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "OPENAI_API_KEY", "SLACK_CLIENT_SECRET")


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def args_of(name: str) -> list[str]:
    return [rest for word, rest in instructions() if word == name]


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def third_party_imports() -> set[str]:
    """Top-level modules bot.py and oilfx/ import that are neither ours nor the standard library's."""
    modules: set[str] = set()
    for path in [ROOT / "bot.py", *(ROOT / "oilfx").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m not in {"oilfx", "__future__"}}


def test_the_image_installs_requirements_txt_and_nothing_else():
    assert args_of("FROM") and re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", args_of("FROM")[0])
    runs = args_of("RUN")
    installs = [r for r in runs if "pip install" in r]
    assert installs == ["pip install -r requirements.txt"], installs   # no hand-kept package list beside it
    copied = [shlex.split(c) for c in args_of("COPY")]
    assert ["requirements.txt", "./"] in copied
    order = [i for i, (word, rest) in enumerate(instructions()) if (word, rest) in
             {("COPY", "requirements.txt ./"), ("RUN", installs[0])}]
    assert order == sorted(order) and len(order) == 2   # copied before it is installed
    assert not any("requirements-dev" in rest for _, rest in instructions())


def test_requirements_txt_declares_every_package_the_bot_imports():
    """What the image installs is enough to run bot.py: each third-party import comes from a declared package."""
    declared = requirement_names(ROOT / "requirements.txt")
    providers = importlib.metadata.packages_distributions()
    missing = {}
    for module in sorted(third_party_imports()):
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        if not dists & declared:
            missing[module] = sorted(dists)
    assert not missing, f"imported but not in requirements.txt: {missing}"


def test_the_image_copies_what_bot_py_needs_and_runs_it_as_non_root():
    copied = {shlex.split(c)[0].rstrip("/") for c in args_of("COPY")}
    assert {"bot.py", "oilfx"} <= copied
    local = {node.names[0].name.split(".")[0] if isinstance(node, ast.Import) else (node.module or "").split(".")[0]
             for node in ast.walk(ast.parse((ROOT / "bot.py").read_text()))
             if isinstance(node, ast.Import | ast.ImportFrom)}
    assert {m for m in local if (ROOT / m).is_dir() or (ROOT / f"{m}.py").is_file()} <= copied
    users = args_of("USER")
    assert users and users[-1] not in {"root", "0", "0:0"}
    last_user = max(i for i, (word, _) in enumerate(instructions()) if word == "USER")
    assert all(word != "RUN" for word, _ in instructions()[last_user:])   # nothing runs as root after it
    assert [json.loads(c) for c in args_of("CMD")] == [["python", "bot.py"]]


def test_no_secret_is_baked_into_the_image():
    for word, rest in instructions():
        if word in {"ENV", "ARG"}:
            assert not any(name in rest for name in SECRETS), rest
        if word in {"COPY", "ADD"}:
            assert ".env" not in shlex.split(rest)[0] and shlex.split(rest)[0] not in {".", "./"}, rest
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for kept_out in (".env", "*.db", ".venv/", "venv/", "**/__pycache__/", ".pytest_cache/", ".git/"):
        assert kept_out in ignored, kept_out


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_bot_with_env_file_and_persistent_redis():
    spec = compose()
    bot, redis = spec["services"]["bot"], spec["services"]["redis"]
    assert bot["build"] == "." and bot["env_file"] in (".env", [".env"])
    url = urlsplit(bot["environment"]["REDIS_URL"])
    assert url.scheme == "redis" and url.hostname in spec["services"] and url.hostname == "redis"
    assert bot["depends_on"]["redis"]["condition"] == "service_healthy"
    command = redis["command"] if isinstance(redis["command"], list) else shlex.split(redis["command"])
    assert command[command.index("--appendonly") + 1] == "yes"
    volume, _, mount = redis["volumes"][0].partition(":")
    assert volume in spec["volumes"] and mount == "/data"   # a named volume where redis-server writes its AOF


def test_compose_health_check_asks_healthz_on_the_health_port():
    bot = compose()["services"]["bot"]
    check = bot["healthcheck"]["test"]
    assert check[0] == "CMD" and check[1:3] == ["python", "-c"] and "/healthz" in check[3]
    assert "OILFX_HEALTH_PORT" in check[3] and bot["environment"]["OILFX_HEALTH_PORT"]
    ports = [p.rsplit(":", 1)[-1] for p in bot["ports"]]
    assert bot["environment"]["OILFX_HEALTH_PORT"] in ports


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


def _docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
def test_the_image_builds_and_imports_the_bot():
    if not _docker_works():
        pytest.skip("no docker daemon here (`docker info` fails): the Dockerfile checks above stand in for the build")
    if not _pypi_reachable():
        pytest.skip("PyPI is not reachable, so `pip install -r requirements.txt` cannot run in a build here")
    tag = "oilfx-test:latest"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True, timeout=900)
    user = subprocess.run(["docker", "run", "--rm", tag, "id", "-u"], capture_output=True, text=True, check=True)
    assert user.stdout.strip() != "0"
    done = subprocess.run(["docker", "run", "--rm", tag, "python", "-c", "import bot, oilfx.slack.app"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

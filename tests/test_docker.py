"""The Docker files, checked against the official images' documentation
(there is no Docker engine here to build them; dclint checks the compose
file against the Compose specification in bin/test's lint step).

What the pages of https://hub.docker.com/_/odoo and /_/postgres document,
and these files rely on:
- the ``odoo:19`` tag; its default ``/etc/odoo/odoo.conf`` sets
  ``addons_path = /mnt/extra-addons``, its data directory is ``/var/lib/odoo``,
  it runs as the ``odoo`` user, and its entrypoint reads ``HOST``, ``PORT``,
  ``USER`` and ``PASSWORD`` for PostgreSQL;
- ``postgres`` reads ``POSTGRES_USER``, ``POSTGRES_PASSWORD``, ``POSTGRES_DB``
  and keeps its data in ``/var/lib/postgresql/data``.
"""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "docker" / "docker-compose.yml").read_text())
MODULES = sorted(p.parent.name for p in (ROOT / "addons").glob("clinic_*/__manifest__.py"))


def instructions():
    """The Dockerfile's instructions, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_dockerfile_builds_on_the_official_odoo_19_image():
    lines = instructions()
    assert lines[0] == "FROM odoo:19"
    copies = [line for line in lines if line.startswith("COPY")]
    assert "COPY --chown=odoo:odoo addons/ /mnt/extra-addons/" in copies
    assert lines[-1] == "USER odoo", "the image runs as its odoo user"
    # The requirements copied are the repository's runtime ones, all of them.
    assert any("requirements.txt" in line for line in copies)


def test_compose_uses_the_images_documented_settings():
    services = COMPOSE["services"]
    db = services["db"]
    assert db["image"].startswith("postgres:")
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"} <= set(db["environment"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    for name in ("init", "odoo"):
        service = services[name]
        assert set(service["environment"]) >= {"HOST", "USER", "PASSWORD"}
        assert service["environment"]["HOST"] == "db"
        assert service["environment"]["USER"] == db["environment"]["POSTGRES_USER"]
        assert any(v.endswith(":/var/lib/odoo") for v in service["volumes"])
        assert service["build"]["dockerfile"] == "docker/Dockerfile"


def test_compose_installs_every_clinic_module():
    command = COMPOSE["services"]["init"]["command"]
    installed = re.search(r"--init=(\S+)", command)[1].split(",")
    # clinic_meeting comes with the others (they depend on it).
    assert set(installed) | {"clinic_meeting"} == set(MODULES), installed
    assert "--with-demo" in command

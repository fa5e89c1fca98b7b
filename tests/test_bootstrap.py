"""The three documented ways of providing Odoo to bin/serve and bin/test
work: Odoo installed in python3, a source tree in ODOO_PATH, and the python
of a virtualenv that has Odoo in ODOO_PYTHON; and without Odoo the commands
stop at once and say how to provide it.

Each case runs the commands' own set-up (bin/_lib.sh: find_odoo, then
prepare_venv with an empty requirements file) in a throwaway data folder, so
no package is downloaded.
"""

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import odoo.release

ROOT = Path(__file__).resolve().parent.parent
ODOO_TREE = Path(odoo.release.__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"


def bootstrap(tmp_path, **env):
    """Run find_odoo + prepare_venv; return (returncode, output, venv python)."""
    (tmp_path / "empty.txt").write_text("")
    script = f"""
        . {ROOT}/bin/_lib.sh
        ROOT={tmp_path}
        find_odoo
        prepare_venv empty.txt
        "$PY" -c 'import odoo.release as r; print("odoo", r.version)'
    """
    result = subprocess.run(
        ["bash", "-c", script],
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "CLINIC_DATA_DIR": str(tmp_path / "data"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def odoo_site_packages():
    """Where the test interpreter finds Odoo's requirements."""
    return sysconfig.get_paths()["purelib"]


def test_odoo_python_naming_a_virtualenv(tmp_path):
    """A virtualenv whose base interpreter has no Odoo, Odoo only in the
    virtualenv: ODOO_PYTHON names its python (the case that used to fail
    with "No module named odoo")."""
    if not Path(SYSTEM_PYTHON).exists():
        pytest.skip("no system python3 to base a virtualenv on")
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import odoo"], capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.skip("the system python3 has Odoo itself")
    venv = tmp_path / "odoo-venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    # Odoo and its requirements, as `pip install -e` would have put them there.
    (site / "odoo-install.pth").write_text(
        f"{ODOO_TREE}\nimport site; site.addsitedir({odoo_site_packages()!r})\n"
    )
    rc, output = bootstrap(tmp_path, ODOO_PYTHON=str(venv / "bin" / "python"))
    assert rc == 0, output
    assert "odoo 19.0" in output


def test_odoo_path_naming_a_source_tree(tmp_path):
    """ODOO_PATH names an Odoo source tree for a python that has its requirements."""
    rc, output = bootstrap(tmp_path, ODOO_PATH=str(ODOO_TREE), ODOO_PYTHON=sys.executable)
    assert rc == 0, output
    assert "odoo 19.0" in output


def test_odoo_installed_in_python3(tmp_path):
    """Odoo installed in the python3 found on PATH (here: this interpreter's)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python3").symlink_to(Path(sys.executable).resolve())
    rc, output = bootstrap(tmp_path, PATH=f"{bindir}:/usr/bin:/bin")
    assert rc == 0, output
    assert "odoo 19.0" in output


def test_without_odoo_the_commands_say_how_to_provide_it(tmp_path):
    rc, output = bootstrap(tmp_path, ODOO_PYTHON=SYSTEM_PYTHON, PYTHONPATH="")
    if "odoo 19.0" in output:
        pytest.skip("the system python3 has Odoo itself")
    assert rc != 0
    assert "Odoo 19 not found" in output
    assert "ODOO_PATH" in output and "ODOO_PYTHON" in output

"""The demo hub's configuration (``make hub``; ``hub/demo/run.py`` starts JupyterHub with it).

A real JupyterHub on 127.0.0.1 only, for trying the whole class flow on a laptop and for the
end-to-end test (tests/test_hub.py). Everything it writes stays in one folder, ``CNN_HUB_STATE``
(the hub's database, cookie secret, proxy pid file, and one home per student). Not for a real
class: every student's server runs as the hub's own system user (``SimpleLocalProcessSpawner``),
so the hub keeps students out of each other's servers but not out of each other's files, and
everyone shares one password. A real class runs on The Littlest JupyterHub (one system user per
student) or on Kubernetes: ``hub/tljh/README.md``, ``hub/z2jh/config.yaml``.

Settings come from environment variables that ``run.py`` sets: ``CNN_HUB_STATE``,
``CNN_HUB_PORT`` (the address students open), ``CNN_HUB_API_PORT`` / ``CNN_HUB_HUB_PORT`` (the
proxy's API and the hub's own port, both loopback), ``CNN_HUB_USERS`` (comma-separated student
logins), ``CNN_HUB_ADMIN`` (the instructor's login), ``CNN_HUB_PASSWORD`` (students) and
``CNN_HUB_ADMIN_PASSWORD`` (the instructor).
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 (JupyterHub's config loader defines it)

STATE = Path(os.environ["CNN_HUB_STATE"]).resolve()
HERE = Path(__file__).resolve().parent
PROXY = HERE.parent / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent

# Where students connect, and the two internal ports: all on the loopback interface.
c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['CNN_HUB_PORT']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ["CNN_HUB_HUB_PORT"])
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['CNN_HUB_API_PORT']}"
c.ConfigurableHTTPProxy.command = [str(PROXY)]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True          # stopping the hub stops every student's server

# Log-in: the class list, one shared password for students and one for the instructor.
c.JupyterHub.authenticator_class = "shared-password"
c.Authenticator.allowed_users = set(filter(None, os.environ["CNN_HUB_USERS"].split(",")))
c.Authenticator.admin_users = {os.environ["CNN_HUB_ADMIN"]}
c.SharedPasswordAuthenticator.user_password = os.environ["CNN_HUB_PASSWORD"]
c.SharedPasswordAuthenticator.admin_password = os.environ["CNN_HUB_ADMIN_PASSWORD"]

# One home per login under STATE/home, JupyterLab from this checkout's environment (cnnlib,
# nbgitpuller), one BLAS thread per kernel as on the course's hubs.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.args = ["--LabApp.news_url=None",
                  "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
if os.getuid() == 0:                         # containers and CI often run as root
    c.Spawner.args.append("--allow-root")
c.Spawner.environment = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                         "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120


def _quiet_lab(spawner):
    """Before a server starts: its home exists, and JupyterLab there asks no "Jupyter news?"
    question over the first notebook (a user setting, kept in the student's own home)."""
    home = Path(spawner.home_dir)
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    news = settings / "notification.jupyterlab-settings"
    if not news.exists():
        news.write_text('{"fetchNews": "false"}\n', encoding="utf-8")


c.Spawner.pre_spawn_hook = _quiet_lab

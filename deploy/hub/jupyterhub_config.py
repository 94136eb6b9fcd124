# JupyterHub for a class on one server (deploy/hub/setup.sh installs what this uses; start.sh runs it).
# Students log in with their Unix account (PAM); each gets her own JupyterLab, as herself, in her
# home, where ~/translab (the lab's module and notebooks) is copied at first login; the caches the
# teacher filled are shared read-only, and each student writes to her own.
#
# Settings from the environment (start.sh passes them on):
#   TRANSLAB_PREFIX, TRANSLAB_SHARED, TRANSLAB_EXCHANGE   where setup.sh put things
#   TRANSLAB_BIND_URL      where the hub listens (default http://:8000); TRANSLAB_HUB_API_URL and
#                          TRANSLAB_PROXY_API_URL move its internal APIs off 8081 and 8001
#   TRANSLAB_GROUP         the Unix group whose members may log in (default students)
#   TRANSLAB_ADMINS        comma-separated admin users (the teacher)
#   TRANSLAB_MEM_LIMIT     each student's memory (default 3G), TRANSLAB_CPU_LIMIT her cores (default 1)
#   TRANSLAB_DEMO=1        the notebooks run on the embedded demo (no HF hub)
#   TRANSLAB_STATE         the hub's database and cookie secret (default /var/lib/translab-hub)
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys

from jupyterhub.spawner import LocalProcessSpawner

c = get_config()  # noqa: F821

prefix = os.environ.get("TRANSLAB_PREFIX", "/opt/translab")
shared = os.environ.get("TRANSLAB_SHARED", "/srv/translab")
state = os.environ.get("TRANSLAB_STATE", "/var/lib/translab-hub")
os.makedirs(state, mode=0o700, exist_ok=True)

c.JupyterHub.bind_url = os.environ.get("TRANSLAB_BIND_URL", "http://:8000")
# The hub's and the proxy's own APIs, on localhost (the defaults, 8081 and 8001, unless moved).
c.JupyterHub.hub_bind_url = os.environ.get("TRANSLAB_HUB_API_URL", "http://127.0.0.1:8081")
c.ConfigurableHTTPProxy.api_url = os.environ.get("TRANSLAB_PROXY_API_URL", "http://127.0.0.1:8001")
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{state}/jupyterhub.pid"
c.ConfigurableHTTPProxy.command = [f"{prefix}/proxy/node_modules/.bin/configurable-http-proxy"]
c.ConfigurableHTTPProxy.pid_file = f"{state}/proxy.pid"

c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.allowed_groups = {os.environ.get("TRANSLAB_GROUP", "students")}
c.Authenticator.admin_users = {u for u in os.environ.get("TRANSLAB_ADMINS", "").split(",") if u}

# Memory and CPU per student. SystemdSpawner (what The Littlest JupyterHub uses) enforces them where
# systemd runs; elsewhere (a container) TranslabSpawner below puts each server in a cgroup of its own.
c.Spawner.mem_limit = os.environ.get("TRANSLAB_MEM_LIMIT", "3G")
c.Spawner.cpu_limit = float(os.environ.get("TRANSLAB_CPU_LIMIT", "1"))

c.Spawner.cmd = [f"{prefix}/venv/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab/tree/translab/notebooks"
c.Spawner.notebook_dir = "~"
# A cold start builds nothing (the kernel starts on the first notebook), but a loaded server is slow.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

path = ":".join([f"{prefix}/bin", f"{prefix}/venv/bin", os.path.dirname(shutil.which("go") or "/usr/local/go/bin/go"),
                 "/usr/local/bin", "/usr/bin", "/bin"])
environment = {
    "PATH": path,
    "GOEXPERIMENT": "simd",
    "GOTOOLCHAIN": "local",
    # The modules the teacher downloaded, read-only; nothing is fetched per student.
    "GOMODCACHE": f"{shared}/go/mod",
    "GOPROXY": "off",
    "HF_HUB_CACHE": f"{shared}/cache/huggingface/hub",
    "HF_HUB_OFFLINE": "1",
    "LAB_SHARED_CACHE": f"{shared}/cache/translab",
    "PJRT_PLUGIN_LIBRARY_PATH": f"{prefix}/pjrt",
}
if os.environ.get("TRANSLAB_DEMO") == "1":
    environment["LAB_DEMO"] = "1"
c.Spawner.environment = environment


def first_login(spawner):
    """Makes the student's home ready: her ~/translab, her kernels, her caches and her TMPDIR."""
    user = pwd.getpwnam(spawner.user.name)
    home, uid, gid = user.pw_dir, user.pw_uid, user.pw_gid

    def own(p):
        os.chown(p, uid, gid)

    def mkdir(p, mode=0o755):
        if not os.path.isdir(p):
            parent = os.path.dirname(p)
            if parent != p and not os.path.isdir(parent):
                mkdir(parent)
            os.mkdir(p, mode)
            own(p)

    mkdir(home, 0o700)
    os.chmod(home, 0o700)  # another student cannot list or read it
    # The notebooks and the module they build on, copied once: a student's edits are never overwritten.
    lab = os.path.join(home, "translab")
    if not os.path.exists(lab):
        shutil.copytree(f"{prefix}/src", lab, symlinks=True)
        for d, dirs, files in os.walk(lab):
            own(d)
            for f in files:
                os.lchown(os.path.join(d, f), uid, gid)
    # Her own copies of the kernelspecs, so that GoNB logs into her home (the kernel's argv names the
    # log file; the shared kernelspec's folder is not hers to write).
    for spec in sorted(os.listdir(f"{prefix}/venv/share/jupyter/kernels")):
        src = f"{prefix}/venv/share/jupyter/kernels/{spec}"
        if not spec.startswith("go-lab-"):
            continue
        dst = os.path.join(home, ".local/share/jupyter/kernels", spec)
        mkdir(dst)
        k = json.load(open(f"{src}/kernel.json"))
        log = os.path.join(dst, "gonb.log")
        k["argv"] = [a.replace(f"{src}/gonb.log", log) for a in k["argv"]]
        tmp = os.path.join(dst, ".kernel.json.tmp")
        with open(tmp, "w") as f:
            json.dump(k, f, indent=2)
        own(tmp)
        os.replace(tmp, os.path.join(dst, "kernel.json"))
        for extra in os.listdir(src):
            if extra.endswith(".png"):
                shutil.copy(f"{src}/{extra}", dst)
                own(os.path.join(dst, extra))
    # Go's build cache: the teacher's, hard-linked (no copy, no disk) into hers, so that her first
    # cell does not compile GoMLX again. The files stay the teacher's and read-only to her; the
    # folders are hers, so Go adds and trims entries as usual.
    gocache = os.path.join(home, ".cache/go-build")
    if not os.path.exists(gocache) and os.path.isdir(f"{shared}/go/build"):
        mkdir(os.path.dirname(gocache))
        subprocess.run(["cp", "-al", f"{shared}/go/build", gocache], check=True)
        for d, dirs, files in os.walk(gocache):
            own(d)
        for f in ("trim.txt",):  # Go rewrites this one
            p = os.path.join(gocache, f)
            if os.path.exists(p):
                data = open(p, "rb").read()
                os.unlink(p)
                open(p, "wb").write(data)
                own(p)
    # TMPDIR of her own: notebooks 03 and 04 write $TMPDIR/lab-folder-<dataset>, and GoNB its builds.
    tmpdir = os.path.join(home, ".cache/tmp")
    mkdir(tmpdir, 0o700)
    spawner.environment = dict(spawner.environment, TMPDIR=tmpdir, XDG_CACHE_HOME=os.path.join(home, ".cache"))


c.Spawner.pre_spawn_hook = first_login


def cgroup_roots():
    """The writable cgroup v1 memory, cpu and cpuacct hierarchies (cpuacct measures, for the
    teacher's sizing), or None: then limits are not enforced."""
    roots = "/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpuacct"
    if all(os.access(r, os.W_OK) for r in roots) and os.path.exists(f"{roots[0]}/memory.limit_in_bytes"):
        return roots
    return None


def bytes_of(limit):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if isinstance(limit, str) and limit[-1:].upper() in units:
        return int(float(limit[:-1]) * units[limit[-1].upper()])
    return int(limit)


class TranslabSpawner(LocalProcessSpawner):
    """LocalProcessSpawner whose servers (and their kernels) live in a cgroup per student, with
    mem_limit and cpu_limit, where the cgroup v1 hierarchy is writable (a container run as root)."""

    def cgroup_dirs(self):
        roots = cgroup_roots()
        if roots is None:
            return None
        return [f"{r}/translab/{self.user.name}" for r in roots]

    async def start(self):
        ip_port = await super().start()
        dirs = self.cgroup_dirs()
        if dirs is None:
            self.log.warning("translab: no writable cgroup hierarchy: %s's memory and CPU are not limited", self.user.name)
            return ip_port
        mem, cpu, _ = dirs
        for d in dirs:
            os.makedirs(d, exist_ok=True)
        if self.mem_limit:
            with open(f"{mem}/memory.limit_in_bytes", "w") as f:
                f.write(str(bytes_of(self.mem_limit)))
        if self.cpu_limit:
            period = 100_000
            with open(f"{cpu}/cpu.cfs_period_us", "w") as f:
                f.write(str(period))
            with open(f"{cpu}/cpu.cfs_quota_us", "w") as f:
                f.write(str(int(self.cpu_limit * period)))
        for d in dirs:
            with open(f"{d}/cgroup.procs", "w") as f:
                f.write(str(self.pid))
        self.log.info("translab: %s's server (pid %d) in %s, %s", self.user.name, self.pid, mem,
                      f"memory {self.mem_limit}, {self.cpu_limit} cores")
        return ip_port


if os.path.isdir("/run/systemd/system") and shutil.which("systemctl"):
    # Each server in a transient systemd unit with MemoryMax and CPUQuota, as The Littlest JupyterHub does.
    c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
    c.SystemdSpawner.unit_name_template = "translab-{USERNAME}"
    c.SystemdSpawner.isolate_tmp = True
    c.SystemdSpawner.default_shell = "/bin/bash"
else:
    c.JupyterHub.spawner_class = TranslabSpawner

# Jupyter's own logs to the hub's terminal; the hub's database and secrets only root reads.
c.JupyterHub.log_level = os.environ.get("TRANSLAB_LOG_LEVEL", "INFO")
if sys.stdout.isatty():
    c.JupyterHub.log_datefmt = "%H:%M:%S"

"""Checks deploy/k8s/values.yaml without the Zero to JupyterHub chart, which is not reachable here.

1. Structure: every key is one the chart 4.x documents at that place
   (https://z2jh.jupyter.org/en/stable/resources/reference.html), with a value of the documented
   kind (a mapping, a list, a string, a number, a boolean, a memory or CPU quantity), so that a typo
   (`singleuser.memmory`) or a misplaced key fails here rather than being ignored by the chart.
   kubespawner_override keys are checked against KubeSpawner's traits that the values use.
2. The lab's own needs: the project's image runs jupyterhub-singleuser; the shared caches come from
   a read-only volume and the lab's variables point into it; a writable per-user TMPDIR and cache;
   nbgrader's exchange is mounted writable where the nbgrader config says; a GPU profile requests
   nvidia.com/gpu; the postStart script exists in the repository (the image copies it to /lab);
   every volume mount names a volume, and every claim is one deploy/k8s/volumes.yaml makes.

What it cannot check: that the chart renders (helm template needs the chart), that the cluster
accepts the objects, that the image exists, or anything at run time.

    python3 deploy/k8s/check_values.py [values.yaml]      # exits 1 with one line per fault
    python3 deploy/k8s/check_values.py --self-test        # broken copies of the values must fail
"""
import copy
import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

MAP, LIST, STR, NUM, BOOL, ANY = "mapping", "list", "string", "number", "boolean", "any"
MEM = "memory quantity"  # KubeSpawner's: bytes with an optional K, M, G or T suffix
CPU = "cpu quantity"

# The documented keys (Z2JH chart 4.x), as far as the lab's values reach; a level given as ANY is
# free-form (JupyterHub's traitlets under hub.config, Kubernetes objects).
VOLUMES = LIST
SCHEMA = {
    "fullnameOverride": STR, "nameOverride": STR, "enabled": BOOL, "imagePullSecret": MAP,
    "imagePullSecrets": LIST, "rbac": MAP, "proxy": MAP, "ingress": MAP, "custom": ANY, "debug": MAP,
    "global": MAP,
    "hub": {
        "config": ANY, "extraConfig": MAP, "extraEnv": ANY, "extraFiles": MAP, "extraVolumes": LIST,
        "extraVolumeMounts": LIST, "image": MAP, "resources": MAP, "db": MAP, "baseUrl": STR,
        "service": MAP, "networkPolicy": MAP, "nodeSelector": MAP, "tolerations": LIST,
        "activeServerLimit": NUM, "concurrentSpawnLimit": NUM, "consecutiveFailureLimit": NUM,
        "allowNamedServers": BOOL, "namedServerLimitPerUser": NUM, "redirectToServer": BOOL,
        "shutdownOnLogout": BOOL, "templatePaths": LIST, "templateVars": MAP, "loadRoles": MAP,
        "services": MAP, "cookieSecret": STR, "existingSecret": STR, "annotations": MAP, "labels": MAP,
        "podSecurityContext": MAP, "containerSecurityContext": MAP, "extraPodSpec": MAP,
        "initContainers": LIST, "extraContainers": LIST, "livenessProbe": MAP, "readinessProbe": MAP,
        "lifecycle": MAP, "pdb": MAP, "serviceAccount": MAP, "revisionHistoryLimit": NUM,
        "deploymentStrategy": MAP, "command": LIST, "args": LIST, "fsGid": NUM,
        "authenticatePrometheus": BOOL,
    },
    "singleuser": {
        "image": {"name": STR, "tag": STR, "pullPolicy": STR, "pullSecrets": LIST},
        "cmd": ANY, "defaultUrl": STR, "uid": NUM, "fsGid": NUM, "startTimeout": NUM,
        "memory": {"limit": MEM, "guarantee": MEM},
        "cpu": {"limit": CPU, "guarantee": CPU},
        "storage": {
            "type": STR, "capacity": STR, "homeMountPath": STR, "extraLabels": MAP,
            "extraVolumes": VOLUMES, "extraVolumeMounts": VOLUMES,
            "static": {"pvcName": STR, "subPath": STR},
            "dynamic": {"storageClass": STR, "pvcNameTemplate": STR, "volumeNameTemplate": STR,
                        "storageAccessModes": LIST, "subPath": STR},
        },
        "extraEnv": MAP, "extraFiles": MAP, "extraLabels": MAP, "extraAnnotations": MAP,
        "extraTolerations": LIST, "nodeSelector": MAP, "extraNodeAffinity": MAP,
        "extraPodAffinity": MAP, "extraPodAntiAffinity": MAP, "networkTools": MAP,
        "cloudMetadata": MAP, "serviceAccountName": STR, "networkPolicy": MAP, "events": BOOL,
        "extraResource": MAP, "lifecycleHooks": {"postStart": MAP, "preStop": MAP},
        "initContainers": LIST, "extraContainers": LIST, "allowPrivilegeEscalation": BOOL,
        "extraPodConfig": MAP, "podNameTemplate": STR, "profileList": LIST,
    },
    "scheduling": {
        "userScheduler": MAP, "podPriority": MAP, "userPlaceholder": MAP, "corePods": MAP,
        "userPods": {"tolerations": LIST, "nodeAffinity": {"matchNodePurpose": STR}},
    },
    "prePuller": {
        "hook": MAP, "continuous": {"enabled": BOOL}, "pullProfileListImages": BOOL,
        "extraImages": MAP, "pause": MAP, "resources": MAP, "containerSecurityContext": MAP,
        "annotations": MAP, "labels": MAP, "extraTolerations": LIST, "revisionHistoryLimit": NUM,
        "priorityClassName": STR,
    },
    "cull": {"enabled": BOOL, "users": BOOL, "adminUsers": BOOL, "removeNamedServers": BOOL,
             "timeout": NUM, "every": NUM, "concurrency": NUM, "maxAge": NUM},
}
PROFILE = {"display_name": STR, "description": STR, "default": BOOL, "slug": STR,
           "kubespawner_override": MAP, "profile_options": MAP}
# KubeSpawner traits a profile may override here (the ones a class's profiles need).
OVERRIDE = {"cpu_limit": CPU, "cpu_guarantee": CPU, "mem_limit": MEM, "mem_guarantee": MEM,
            "extra_resource_limits": MAP, "extra_resource_guarantees": MAP, "node_selector": MAP,
            "tolerations": LIST, "image": STR, "environment": MAP, "volumes": LIST,
            "volume_mounts": LIST, "default_url": STR}


def kind_ok(kind, v):
    if kind == ANY:
        return True
    if kind == MAP:
        return isinstance(v, dict)
    if kind == LIST:
        return isinstance(v, list)
    if kind == STR:
        return isinstance(v, str)
    if kind == BOOL:
        return isinstance(v, bool)
    if kind == NUM:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind == MEM:
        return isinstance(v, (int, str)) and not isinstance(v, bool) and re.fullmatch(r"\d+(\.\d+)?[KMGT]?", str(v)) is not None
    if kind == CPU:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
    raise ValueError(kind)


def structure(values, schema, where, faults):
    if not isinstance(values, dict):
        faults.append(f"{where or 'values'}: a mapping was expected, not {type(values).__name__}")
        return
    for k, v in values.items():
        at = f"{where}.{k}" if where else k
        if k not in schema:
            faults.append(f"{at}: not a key Zero to JupyterHub documents here")
            continue
        s = schema[k]
        if isinstance(s, dict):
            structure(v, s, at, faults)
        elif not kind_ok(s, v):
            faults.append(f"{at}: {s} expected, got {v!r}")


def lab_needs(v, faults, volumes_file):
    su = v.get("singleuser", {})
    if su.get("cmd") != "jupyterhub-singleuser":
        faults.append("singleuser.cmd: the image's CMD runs a standalone JupyterLab; jupyterhub-singleuser is needed")
    if not su.get("image", {}).get("name") or not su.get("image", {}).get("tag"):
        faults.append("singleuser.image: name and tag of the project's image are needed")
    st = su.get("storage", {})
    vols = {x.get("name"): x for x in st.get("extraVolumes", [])}
    mounts = st.get("extraVolumeMounts", [])
    for m in mounts:
        if m.get("name") not in vols:
            faults.append(f"singleuser.storage.extraVolumeMounts: {m.get('name')!r} names no extraVolume")
    claims = {x.get("persistentVolumeClaim", {}).get("claimName") for x in vols.values()} - {None}
    made = set()
    for doc in yaml.safe_load_all(open(volumes_file)):
        if doc and doc.get("kind") == "PersistentVolumeClaim":
            made.add(doc["metadata"]["name"])
    for c in sorted(claims - made):
        faults.append(f"singleuser.storage.extraVolumes: claim {c!r} is not made by {os.path.relpath(volumes_file, ROOT)}")

    def mount_of(path):
        best = None
        for m in mounts:
            mp = m.get("mountPath", "").rstrip("/")
            if mp and (path == mp or path.startswith(mp + "/")) and (best is None or len(mp) > len(best["mountPath"])):
                best = m
        return best

    env = su.get("extraEnv", {})
    for var in ("LAB_SHARED_CACHE", "HF_HUB_CACHE"):
        p = env.get(var)
        m = mount_of(p) if isinstance(p, str) else None
        if m is None:
            faults.append(f"singleuser.extraEnv.{var}: {p!r} is on no mounted volume")
            continue
        vol = vols.get(m["name"], {})
        if not m.get("readOnly") or not vol.get("persistentVolumeClaim", {}).get("readOnly"):
            faults.append(f"singleuser.extraEnv.{var}: volume {m['name']!r} must be read-only (the mount and the claim): students share it")
    if env.get("HF_HUB_OFFLINE") != "1":
        faults.append("singleuser.extraEnv.HF_HUB_OFFLINE: \"1\" expected: students read the shared hub cache and download nothing")
    home = st.get("homeMountPath", "/home/jovyan")
    for var in ("TMPDIR", "XDG_CACHE_HOME"):
        p = env.get(var, "")
        if not (p == home or p.startswith(home.rstrip("/") + "/")):
            faults.append(f"singleuser.extraEnv.{var}: {p!r} is not in the student's own volume ({home})")

    files = su.get("extraFiles", {})
    config = [f for f in files.values() if f.get("mountPath", "").endswith("nbgrader_config.py")]
    root = None
    for f in config:
        m = re.search(r"c\.Exchange\.root\s*=\s*[\"']([^\"']+)", f.get("stringData", ""))
        root = m.group(1) if m else None
    if root is None:
        faults.append("singleuser.extraFiles: no nbgrader_config.py setting c.Exchange.root")
    else:
        m = mount_of(root)
        if m is None or m.get("readOnly"):
            faults.append(f"nbgrader: the exchange {root} is not on a writable volume")

    gpu = [p for p in su.get("profileList", []) if "nvidia.com/gpu" in
           (p.get("kubespawner_override", {}).get("extra_resource_limits") or {})]
    if not gpu:
        faults.append("singleuser.profileList: no profile requests nvidia.com/gpu")
    for i, p in enumerate(su.get("profileList", [])):
        structure(p, PROFILE, f"singleuser.profileList[{i}]", faults)
        structure(p.get("kubespawner_override", {}), OVERRIDE, f"singleuser.profileList[{i}].kubespawner_override", faults)
    if sum(1 for p in su.get("profileList", []) if p.get("default")) != 1:
        faults.append("singleuser.profileList: exactly one profile should be the default")

    cmd = su.get("lifecycleHooks", {}).get("postStart", {}).get("exec", {}).get("command", [])
    scripts = [c for c in cmd if c.startswith("/lab/")]
    for s in scripts:
        if not os.path.isfile(os.path.join(ROOT, s[len("/lab/"):])):
            faults.append(f"singleuser.lifecycleHooks.postStart: {s} is not in the repository (the image copies it to /lab)")
    if not scripts:
        faults.append("singleuser.lifecycleHooks.postStart: the first-login script is not run")


def check(values, volumes_file=os.path.join(HERE, "volumes.yaml")):
    faults = []
    structure(values, SCHEMA, "", faults)
    if not faults:
        lab_needs(values, faults, volumes_file)
    return faults


def self_test(values):
    """Each broken copy must fail, for its reason: the check is not one that always passes."""
    def broken(edit, want):
        v = copy.deepcopy(values)
        edit(v)
        faults = check(v)
        ok = any(want in f for f in faults)
        print(f"  {'ok  ' if ok else 'FAIL'} {want}: {faults[:1]}")
        return ok
    su = lambda v: v["singleuser"]  # noqa: E731
    cases = [
        (lambda v: su(v).__setitem__("memmory", {"limit": "3G"}), "singleuser.memmory: not a key"),
        (lambda v: su(v)["memory"].__setitem__("limit", "3 GB"), "singleuser.memory.limit: memory quantity"),
        (lambda v: su(v)["storage"]["extraVolumeMounts"][0].pop("readOnly"), "must be read-only"),
        (lambda v: su(v)["storage"]["extraVolumes"][0]["persistentVolumeClaim"].pop("readOnly"), "must be read-only"),
        (lambda v: su(v).__setitem__("cmd", "jupyter lab"), "singleuser.cmd"),
        (lambda v: su(v)["profileList"].pop(), "requests nvidia.com/gpu"),
        (lambda v: su(v)["extraEnv"].__setitem__("TMPDIR", "/tmp"), "extraEnv.TMPDIR"),
        (lambda v: su(v)["storage"]["extraVolumeMounts"].pop(), "the exchange"),
        (lambda v: su(v)["storage"]["extraVolumes"][1]["persistentVolumeClaim"].__setitem__("claimName", "nope"), "claim 'nope'"),
        (lambda v: v["cull"].__setitem__("timeout", "1h"), "cull.timeout: number expected"),
        (lambda v: su(v)["profileList"][1]["kubespawner_override"].__setitem__("gpu_limit", 1), "gpu_limit: not a key"),
    ]
    results = [broken(e, w) for e, w in cases]
    return all(results)


def main():
    args = sys.argv[1:]
    path = next((a for a in args if not a.startswith("--")), os.path.join(HERE, "values.yaml"))
    values = yaml.safe_load(open(path))
    faults = check(values)
    for f in faults:
        print(f"{os.path.relpath(path)}: {f}")
    if faults:
        return 1
    print(f"{os.path.relpath(path)}: the keys Zero to JupyterHub 4.x documents, and the lab's needs: ok")
    if "--self-test" in args:
        if not self_test(values):
            print("check_values: a broken copy of the values passed the check")
            return 1
        print("check_values: every broken copy failed, as it should")
    return 0


if __name__ == "__main__":
    sys.exit(main())

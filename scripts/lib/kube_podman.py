"""Adapts rendered Kubernetes manifests for `podman kube play` (podman 4.3,
Debian 12), for scripts/kube-play.sh. Kubernetes semantics stay; only what
podman reads differently or cannot run changes, and every change is printed:

- Kinds podman does not run (Namespace, Service, ServiceAccount, HPA, PDB,
  NetworkPolicy) are left out; kubernetes-validate and checkov check them.
- Secrets become podman secrets in the two forms podman 4.3 reads: a JSON map
  of base64 values for `secretKeyRef` (environment), and files for secret
  volumes, which podman 4.3 cannot mount (it crashes in VolumeFromSecret):
  they are written under the state folder and mounted as hostPath, with
  `items` honoured.
- PersistentVolumeClaims, and emptyDir volumes on disk, become podman volumes
  made beforehand and owned by the pod's fsGroup (podman ignores fsGroup), so
  non-root servers can write them; memory emptyDirs stay tmpfs. (Podman copies
  the image's folder, owner included, into an empty volume mounted over it:
  the images leave such folders out or give them the pod's user.)
- Probes are dropped: podman runs them through systemd timers, which this
  machine does not have; kube-play.sh runs the readiness check itself.

usage: kube_podman.py <rendered.yaml> <state dir> <out.yaml>
prints JSON lines: {"secret": name, "keys": n} and {"left_out": kind, "name": name}
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import yaml

LEFT_OUT = {"Namespace", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"}


def podman(*args: str, stdin: bytes | None = None) -> None:
    subprocess.run(["podman", *args], input=stdin, check=True, stdout=subprocess.DEVNULL)


def materialize_secret(secret: dict, state: str) -> str:
    """Writes every key of the Secret as a file; returns the folder."""
    folder = os.path.join(state, "secrets", secret["metadata"]["name"])
    os.makedirs(folder, exist_ok=True)
    for key, value in (secret.get("data") or {}).items():
        with open(os.path.join(folder, key), "wb") as f:
            f.write(base64.b64decode(value))
    for key, value in (secret.get("stringData") or {}).items():
        with open(os.path.join(folder, key), "w", encoding="utf-8") as f:
            f.write(value)
    # Readable by the pods' non-root users: a local test stack's files.
    os.chmod(folder, 0o755)
    for name in os.listdir(folder):
        os.chmod(os.path.join(folder, name), 0o444)
    return folder


def secret_volume(volume: dict, folders: dict[str, str], state: str) -> dict:
    """A secret volume as a hostPath folder holding its files (or its items)."""
    source = volume["secret"]
    folder = folders[source["secretName"]]
    items = source.get("items")
    if items:
        folder = os.path.join(state, "volumes", volume["name"] + "-" + source["secretName"])
        os.makedirs(folder, exist_ok=True)
        os.chmod(folder, 0o755)
        for item in items:
            target = os.path.join(folder, item["path"])
            with open(os.path.join(folders[source["secretName"]], item["key"]), "rb") as src, open(target, "wb") as dst:
                dst.write(src.read())
            os.chmod(target, 0o444)
    return {"name": volume["name"], "hostPath": {"path": os.path.abspath(folder), "type": "Directory"}}


def owned_volume(name: str, owner: int | None) -> None:
    """A fresh podman volume, owned by `owner` (the pod's fsGroup) when set."""
    subprocess.run(["podman", "volume", "rm", "-f", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    podman("volume", "create", "--label", "platform.agion.com/kube-play=true", name)
    if owner is not None:
        mountpoint = subprocess.run(["podman", "volume", "inspect", name, "--format", "{{.Mountpoint}}"],
                                    check=True, capture_output=True, text=True).stdout.strip()
        os.chown(mountpoint, owner, owner)


def main() -> None:
    rendered, state, out = sys.argv[1:4]
    documents = [d for d in yaml.safe_load_all(open(rendered, encoding="utf-8")) if d]
    folders: dict[str, str] = {}
    claims: dict[str, dict] = {}
    kept: list[dict] = []
    for document in documents:
        kind, name = document["kind"], document["metadata"]["name"]
        if kind == "Secret":
            folders[name] = materialize_secret(document, state)
            values = {k: v for k, v in (document.get("data") or {}).items()}
            values.update({k: base64.b64encode(v.encode()).decode() for k, v in (document.get("stringData") or {}).items()})
            subprocess.run(["podman", "secret", "rm", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            podman("secret", "create", name, "-", stdin=json.dumps(values).encode())
            print(json.dumps({"secret": name, "keys": len(values)}))
        elif kind == "PersistentVolumeClaim":
            claims[name] = document
        elif kind in LEFT_OUT:
            print(json.dumps({"left_out": kind, "name": name}))
        else:
            kept.append(document)

    for document in kept:
        if document["kind"] != "Deployment":
            continue
        spec = document["spec"]["template"]["spec"]
        owner = (spec.get("securityContext") or {}).get("fsGroup")
        volumes = []
        for volume in spec.get("volumes", []):
            if "secret" in volume:
                volumes.append(secret_volume(volume, folders, state))
                continue
            if "emptyDir" in volume and volume["emptyDir"].get("medium") != "Memory":
                volume = {"name": volume["name"],
                          "persistentVolumeClaim": {"claimName": f"{document['metadata']['name']}-{volume['name']}"}}
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                owned_volume(claim, owner)
                print(json.dumps({"volume": claim, "owner": owner}))
            volumes.append(volume)
        spec["volumes"] = volumes
        for container in spec["containers"]:
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                container.pop(probe, None)
    with open(out, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(kept, f, sort_keys=False)


if __name__ == "__main__":
    main()

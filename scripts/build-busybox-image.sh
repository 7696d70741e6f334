#!/usr/bin/env bash
# Builds a `busybox` image from Debian's busybox-static, with no network, as a `docker save`
# archive that `koker load -i` (or `docker load`) reads: one layer holding /bin/busybox, its
# applets as symlinks and a minimal /etc; Cmd ["sh"]. The same input always gives the same image ID.
#   usage: scripts/build-busybox-image.sh OUTPUT.tar [NAME:TAG]   (default busybox:latest)
set -euo pipefail
umask 022

out=${1:?usage: $0 OUTPUT.tar [NAME:TAG]}
tag=${2:-busybox:latest}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "$0: $busybox is missing: apt-get install busybox-static" >&2; exit 1; }
case "$(dpkg --print-architecture 2>/dev/null || uname -m)" in
  amd64 | x86_64) arch=amd64 ;;
  arm64 | aarch64) arch=arm64 ;;
  *) echo "$0: unsupported architecture" >&2; exit 1 ;;
esac

work=$(mktemp -d /tmp/koker-busybox-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,dev,etc,home,proc,sbin,sys,usr/bin,usr/sbin,var,root,tmp}
chmod 0700 "$root/root"
chmod 1777 "$root/tmp"
install -m 0755 "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] || ln -s /bin/busybox "$root/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

image=$work/image
mkdir -p "$image"
# A reproducible tar: sorted names, one mtime, root-owned.
(cd "$root" && tar --sort=name --mtime=@1704067200 --owner=0 --group=0 --numeric-owner \
  -cf "$image/layer.tar" -- *)
diff_id=$(sha256sum "$image/layer.tar" | cut -d' ' -f1)
mkdir "$image/$diff_id"
mv "$image/layer.tar" "$image/$diff_id/layer.tar"

printf '{"architecture":"%s","os":"linux","created":"2024-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"scripts/build-busybox-image.sh (busybox-static)"}]}' \
  "$arch" "$diff_id" >"$image/config.json"
config_id=$(sha256sum "$image/config.json" | cut -d' ' -f1)
mv "$image/config.json" "$image/$config_id.json"
name=${tag%:*}
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config_id" "$tag" "$diff_id" >"$image/manifest.json"
printf '{"%s":{"%s":"%s"}}' "$name" "${tag##*:}" "$diff_id" >"$image/repositories"

(cd "$image" && tar --sort=name --mtime=@1704067200 --owner=0 --group=0 --numeric-owner \
  -cf "$work/out.tar" manifest.json repositories "$config_id.json" "$diff_id")
mv "$work/out.tar" "$out"
echo "sha256:$config_id"

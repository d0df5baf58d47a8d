#!/usr/bin/env bash
# build.sh [IMAGE] — build one of migtest's local server images for the docker
# and dockertest providers, without a container registry: a Debian rootfs made
# by debootstrap with the server and client, plus an entrypoint that honours
# the official images' variables (docker-entrypoint.sh beside this file),
# imported with `docker import`.
#
# The image name picks the server and the Debian suite it comes from:
#   migtest/mariadb:10.5   MariaDB 10.5 from bullseye
#   migtest/mariadb:10.11  MariaDB 10.11 from bookworm (also :local, the default)
#   migtest/mariadb:11.8   MariaDB 11.8 from trixie
#   migtest/mysql:9        MySQL (mysql-server) from sid
# Use one with MIGTEST_IMAGE=migtest/mariadb:11.8 (make images builds them all).
#
# Idempotent: exits at once when the image exists. The rootfs tarball is cached
# under ${XDG_CACHE_HOME:-~/.cache}/migtest, keyed by server, suite, mirror and
# extra packages, so rebuilding a removed image takes seconds.
# Needs root (debootstrap), a Docker engine, and Debian's package mirror.
# Environment: SERVER (mariadb or mysql; default from the image name), SUITE
# (default from the image's tag, as above), MIRROR (default
# http://deb.debian.org/debian), EXTRA_PACKAGES (space-separated Debian
# packages added to the rootfs, e.g. "galera-4"; part of the cache key),
# MIGTEST_IMAGE_CACHE (the cache dir), FORCE=1 to rebuild an existing image.
set -euo pipefail

IMAGE=${1:-migtest/mariadb:local}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
EXTRA_PACKAGES=${EXTRA_PACKAGES:-}
here=$(cd "$(dirname "$0")" && pwd)
t0=$SECONDS

say() { printf '[mariadb-image %3ss] %s\n' "$((SECONDS - t0))" "$*" >&2; }
die() { printf 'mariadb-image: %s\n' "$*" >&2; exit 1; }

repo=${IMAGE%:*}
tag=${IMAGE##*:}
[ "$repo" != "$IMAGE" ] || tag=latest
if [ -z "${SERVER:-}" ]; then
	case ${repo##*/} in
	mysql) SERVER=mysql ;;
	*) SERVER=mariadb ;;
	esac
fi
if [ -z "${SUITE:-}" ]; then
	case $SERVER:$tag in
	mariadb:10.5*) SUITE=bullseye ;;
	mariadb:10.11* | mariadb:local | mariadb:latest) SUITE=bookworm ;;
	mariadb:11.8*) SUITE=trixie ;;
	mysql:*) SUITE=sid ;;
	*) die "no Debian suite is known for $IMAGE: name it migtest/mariadb:10.5, :10.11, :11.8 or migtest/mysql:9, or set SUITE" ;;
	esac
fi
case $SERVER in
mariadb) packages="mariadb-server mariadb-client" server_bin=mariadbd client_bin=mariadb cnf_dir=/etc/mysql/mariadb.conf.d ;;
mysql) packages="mysql-server mysql-client" server_bin=mysqld client_bin=mysql cnf_dir=/etc/mysql/mysql.conf.d ;;
*) die "SERVER=$SERVER: use mariadb or mysql" ;;
esac
# Extra packages, sorted and de-duplicated, so the cache key does not depend on their order.
extra=$(printf '%s\n' $EXTRA_PACKAGES | sort -u | xargs)

command -v docker >/dev/null 2>&1 || die "docker not found: install Docker (apt-get install docker.io) to build $IMAGE"
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed): start it, or set DOCKER_HOST"

# apt_install_in ROOTFS LOG PACKAGE...: install packages with apt inside a
# debootstrapped rootfs (services kept from starting), logging the candidate
# versions first so the log says what the suite offered.
apt_install_in() {
	local root=$1 log=$2
	shift 2
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	mount -t proc proc "$root/proc"
	say "apt-get install $* inside the rootfs (log: $log)"
	# A mirror snapshot's Release files may be past their Valid-Until (sid's
	# are valid for a week); debootstrap does not check it either.
	if ! { chroot "$root" apt-get -o Acquire::Check-Valid-Until=false update &&
		chroot "$root" apt-cache policy "$@" &&
		DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y --no-install-recommends "$@"; } >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		umount "$root/proc" || umount -l "$root/proc"
		die "apt-get install $* in the $SUITE rootfs failed (see above)"
	fi
	grep -E '^[a-z0-9.+-]+:$|^  Candidate:' "$log" | paste - - | sed 's/^/  /' >&2 || true
	umount "$root/proc" || umount -l "$root/proc"
	rm -f "$root/usr/sbin/policy-rc.d"
}

if [ "${FORCE:-}" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
	say "$IMAGE exists"
	exit 0
fi

# The cached rootfs holds what debootstrap made (slimmed); the entrypoint and
# config are added at import time, so changing them costs seconds, not a
# debootstrap. Bump RECIPE when the rootfs steps below change.
RECIPE=1
keyinput="$RECIPE $SUITE $MIRROR"
[ "$SERVER" = mariadb ] || keyinput="$keyinput server=$SERVER"
[ -z "$extra" ] || keyinput="$keyinput extra=$extra"
key=$(echo "$keyinput" | sha256sum | cut -c1-12)
cache=${MIGTEST_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/migtest}
# Rootfs variants with extra packages are named apart, so that pruning stale
# tarballs of a suite never removes another variant.
tarball=$cache/$SERVER-rootfs-$SUITE${extra:+-extra}-$key.tar

if [ ! -s "$tarball" ]; then
	[ "$(id -u)" = 0 ] || die "debootstrap needs root: run as root (or sudo $0 $IMAGE)"
	if ! command -v debootstrap >/dev/null 2>&1; then
		command -v apt-get >/dev/null 2>&1 || die "debootstrap not found: install it (apt-get install debootstrap)"
		say "installing debootstrap"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; } ||
			die "apt-get install debootstrap failed"
	fi
	mkdir -p "$cache"
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/migtest-rootfs.XXXXXX")
	rootfs=$work/rootfs
	cleanup() {
		# debootstrap mounts proc, sys and maybe dev inside the rootfs: unmount
		# them (deepest first) before removing anything, and never cross into
		# another file system.
		local m
		for m in $(awk -v r="$rootfs" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
			umount -l "$m" 2>/dev/null || true
		done
		rm -rf --one-file-system "$work"
	}
	trap cleanup EXIT
	# MariaDB comes with debootstrap's own resolver; MySQL's dependency tree
	# (alternatives, virtual packages) is installed by apt inside the rootfs.
	include=$extra
	[ "$SERVER" != mariadb ] || include="$packages $include"
	include=$(echo $include | tr ' ' ,)
	say "debootstrap $SUITE${include:+ with $include} from $MIRROR (log: $work/debootstrap.log)"
	if ! debootstrap --variant=minbase ${include:+--include="$include"} \
		"$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1; then
		tail -n 30 "$work/debootstrap.log" >&2
		[ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
		die "debootstrap failed (see above)"
	fi
	say "debootstrap done"
	if [ "$SERVER" = mysql ]; then
		apt_install_in "$rootfs" "$work/apt.log" $packages
	fi
	for m in $(awk -v r="$rootfs" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" || umount -l "$m"
	done

	# The package initialised a datadir; a container initialises its own.
	rm -rf --one-file-system "${rootfs:?}/var/lib/mysql" && install -d -o 0 -g 0 -m 0755 "$rootfs/var/lib/mysql"
	chroot "$rootfs" chown mysql:mysql /var/lib/mysql
	# Slim it: package caches, lists, docs, man pages, logs.
	rm -rf --one-file-system "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
		"$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
		"$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/var/cache/debconf/*-old
	chroot "$rootfs" "$server_bin" --version >/dev/null || die "$server_bin does not run in the new rootfs"

	say "packing the rootfs"
	tar -C "$rootfs" --numeric-owner --xattrs \
		--exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' --exclude='./run/*' --exclude='./tmp/*' \
		-cf "$tarball.tmp" . || die "tar of the rootfs failed"
	mv "$tarball.tmp" "$tarball"
	# Old rootfs tarballs of this suite are not used again.
	for old in "$cache/$SERVER-rootfs-$SUITE${extra:+-extra}"-*.tar; do
		[ "$old" = "$tarball" ] || rm -f "$old"
	done
	cleanup
	trap - EXIT
	say "rootfs cached in $tarball ($(du -h "$tarball" | cut -f1))"
else
	say "reusing the cached rootfs $tarball"
fi

say "docker import -> $IMAGE"
previous=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
# The image is the cached rootfs plus the entrypoint and config, appended to a
# copy of the tarball (tar keeps the last of duplicate entries).
stage=$(mktemp -d "${TMPDIR:-/var/tmp}/migtest-image.XXXXXX")
trap 'rm -rf --one-file-system "$stage"' EXIT
install -D -m 0755 "$here/docker-entrypoint.sh" "$stage/files/usr/local/bin/docker-entrypoint.sh"
install -D -m 0644 "$here/docker.cnf" "$stage/files$cnf_dir/90-docker.cnf"
added=(./usr/local/bin/docker-entrypoint.sh ".$cnf_dir/90-docker.cnf")
if [ "$SERVER" = mysql ]; then
	# Debian's mysqld.cnf (read after 90-docker.cnf) binds 127.0.0.1 and logs
	# to a file; as the official image does, those lines are commented out,
	# so the server listens on every interface and logs to stderr.
	install -d "$stage/files$cnf_dir"
	tar -xOf "$tarball" ".$cnf_dir/mysqld.cnf" | sed -E 's/^(bind-address|mysqlx-bind-address|log)/#&/' >"$stage/files$cnf_dir/mysqld.cnf" ||
		die "reading $cnf_dir/mysqld.cnf from $tarball failed"
	added+=(".$cnf_dir/mysqld.cnf")
fi
cp "$tarball" "$stage/image.tar"
# docker import refuses duplicate paths: replaced files leave the copy first.
for f in "${added[@]}"; do
	if tar -tf "$stage/image.tar" "$f" >/dev/null 2>&1; then
		tar --delete -f "$stage/image.tar" "$f" || die "removing $f from the image tarball failed"
	fi
done
tar -C "$stage/files" --owner=0 --group=0 --numeric-owner -rf "$stage/image.tar" \
	"${added[@]}" || die "adding the entrypoint to the image tarball failed"
docker import \
	--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'ENV LANG=C.UTF-8' \
	--change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
	--change "CMD [\"$server_bin\"]" \
	--change 'EXPOSE 3306' \
	--change "LABEL org.opencontainers.image.description=\"$SERVER ($SUITE) for migtest tests, built by .ci/mariadb-image/build.sh\"" \
	"$stage/image.tar" "$IMAGE" >/dev/null || die "docker import of $stage/image.tar failed"
rm -rf --one-file-system "$stage"
trap - EXIT

# Smoke test: the server initialises, starts and answers as root over TCP.
say "checking that $IMAGE starts"
cid=$(docker run -d --rm --tmpfs /var/lib/mysql -e MARIADB_ROOT_PASSWORD=check \
	-e MARIADB_DATABASE=check -e MARIADB_USER=check -e MARIADB_PASSWORD=check "$IMAGE") || die "docker run $IMAGE failed"
ok=
for _ in $(seq 1 120); do
	if docker exec "$cid" "$client_bin" -h127.0.0.1 -uroot -pcheck -N -e 'SELECT VERSION()' >/dev/null 2>&1 &&
		docker exec "$cid" "$client_bin" -h127.0.0.1 -ucheck -pcheck check -N -e 'CREATE TABLE t (i INT)' >/dev/null 2>&1; then
		ok=1
		break
	fi
	docker inspect "$cid" >/dev/null 2>&1 || break
	sleep 0.5
done
if [ -z "$ok" ]; then
	docker logs "$cid" 2>&1 | tail -n 20 >&2 || true
	docker rm -f "$cid" >/dev/null 2>&1 || true
	docker image rm "$IMAGE" >/dev/null 2>&1 || true
	die "$IMAGE did not answer within 60s as root and as MARIADB_USER on MARIADB_DATABASE (server log above); the image was removed"
fi
docker rm -f "$cid" >/dev/null
if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ]; then
	docker image rm "$previous" >/dev/null 2>&1 || say "the previous $IMAGE ($previous) is still in use; remove it later"
fi
say "built $IMAGE: $(docker run --rm --entrypoint "$server_bin" "$IMAGE" --version 2>/dev/null | head -n1) ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1e6}'))"

#!/bin/bash
# Entrypoint of migtest's locally built MariaDB image (.ci/mariadb-image/build.sh).
#
# It behaves like the official mariadb image's entrypoint for what tests use:
# MARIADB_ROOT_PASSWORD / MARIADB_ALLOW_EMPTY_ROOT_PASSWORD /
# MARIADB_RANDOM_ROOT_PASSWORD, MARIADB_ROOT_HOST, MARIADB_DATABASE,
# MARIADB_USER, MARIADB_PASSWORD (and their MYSQL_* aliases, and *_FILE
# variants of the secrets). An empty datadir is initialised with
# mariadb-install-db; the accounts and database are created by an --init-file
# on the server's first start, so there is no temporary server and the port
# opens only when everything is ready. Arguments starting with '-' are
# options for mariadbd, as with the official image.
#
# Not supported: /docker-entrypoint-initdb.d (a warning says so), time zone
# loading, MARIADB_AUTO_UPGRADE. This is a test image: the init file (with the
# passwords) stays in /run/mysqld inside the container, readable by mysql only.
set -euo pipefail

log()  { printf '%s [Note] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
warn() { printf '%s [Warn] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; }
die()  { printf '%s [ERROR] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; exit 1; }

# env_of NAME: MARIADB_NAME, else MYSQL_NAME, else the content of the file
# named by MARIADB_NAME_FILE / MYSQL_NAME_FILE, else empty.
env_of() {
	local n=$1 v f
	v=${!n:-}
	[ -n "$v" ] || { f="MYSQL_${n#MARIADB_}"; v=${!f:-}; }
	if [ -z "$v" ]; then
		for f in "${n}_FILE" "MYSQL_${n#MARIADB_}_FILE"; do
			if [ -n "${!f:-}" ]; then v=$(<"${!f}"); break; fi
		done
	fi
	printf '%s' "$v"
}

# sql_str quotes a string literal; sql_id quotes an identifier.
sql_str() { local s=${1//\\/\\\\}; s=${s//\'/\\\'}; printf "'%s'" "$s"; }
sql_id()  { printf '`%s`' "${1//\`/\`\`}"; }

if [ "${1:0:1}" = '-' ]; then
	set -- mariadbd "$@"
fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then
	exec "$@"
fi

datadir=/var/lib/mysql
for a in "${@:2}"; do
	case $a in --datadir=*) datadir=${a#--datadir=} ;; esac
done

mkdir -p /run/mysqld "$datadir"
chown mysql:mysql /run/mysqld
if [ "$(id -u)" = 0 ]; then
	chown mysql:mysql "$datadir"
fi

if [ ! -d "$datadir/mysql" ]; then
	root_pw=$(env_of MARIADB_ROOT_PASSWORD)
	empty_ok=$(env_of MARIADB_ALLOW_EMPTY_ROOT_PASSWORD)
	random_pw=$(env_of MARIADB_RANDOM_ROOT_PASSWORD)
	if [ -z "$root_pw" ] && [ -z "$empty_ok" ] && [ -z "$random_pw" ]; then
		die "Database is uninitialized and password option is not specified: set one of MARIADB_ROOT_PASSWORD, MARIADB_ALLOW_EMPTY_ROOT_PASSWORD and MARIADB_RANDOM_ROOT_PASSWORD"
	fi
	if [ -z "$root_pw" ] && [ -n "$random_pw" ]; then
		root_pw=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 || true)
		log "GENERATED ROOT PASSWORD: $root_pw"
	fi
	root_host=$(env_of MARIADB_ROOT_HOST); root_host=${root_host:-%}
	database=$(env_of MARIADB_DATABASE)
	user=$(env_of MARIADB_USER)
	password=$(env_of MARIADB_PASSWORD)
	if [ -n "$user" ] && [ "$user" = root ]; then
		die "MARIADB_USER=root: use MARIADB_ROOT_PASSWORD for the root user"
	fi
	if compgen -G '/docker-entrypoint-initdb.d/*' >/dev/null; then
		warn "/docker-entrypoint-initdb.d is not supported by this image; its files are ignored"
	fi

	log "Initializing database files in $datadir"
	install_args=()
	for a in "${@:2}"; do
		case $a in
		--innodb-log-file-size=*|--innodb_log_file_size=*|--innodb-page-size=*|--innodb_page_size=*|--character-set-server=*|--collation-server=*|--character_set_server=*|--collation_server=*) install_args+=("$a") ;;
		esac
	done
	if ! out=$(mariadb-install-db --datadir="$datadir" --user=mysql --auth-root-authentication-method=normal \
		--skip-test-db --skip-name-resolve --skip-log-bin \
		--loose-innodb-buffer-pool-load-at-startup=0 --loose-innodb-buffer-pool-dump-at-shutdown=0 \
		"${install_args[@]}" 2>&1); then
		printf '%s\n' "$out" >&2
		die "mariadb-install-db failed"
	fi

	init=/run/mysqld/migtest-init.sql
	pw=$(sql_str "$root_pw")
	{
		echo "DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host <> 'localhost');"
		echo "DELETE FROM mysql.proxies_priv WHERE User='root' AND Host <> 'localhost';"
		echo "FLUSH PRIVILEGES;"
		echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $pw;"
		if [ "$root_host" != localhost ]; then
			echo "CREATE USER 'root'@$(sql_str "$root_host") IDENTIFIED BY $pw;"
			echo "GRANT ALL PRIVILEGES ON *.* TO 'root'@$(sql_str "$root_host") WITH GRANT OPTION;"
		fi
		if [ -n "$database" ]; then
			echo "CREATE DATABASE IF NOT EXISTS $(sql_id "$database");"
		fi
		if [ -n "$user" ]; then
			[ -n "$password" ] || warn "MARIADB_USER is set without MARIADB_PASSWORD: the user has no password"
			echo "CREATE USER $(sql_str "$user")@'%' IDENTIFIED BY $(sql_str "$password");"
			if [ -n "$database" ]; then
				echo "GRANT ALL ON $(sql_id "$database").* TO $(sql_str "$user")@'%';"
			fi
		fi
	} >"$init"
	chown mysql:mysql "$init"
	chmod 600 "$init"
	log "Database files initialized; accounts are created on first start"
	set -- "$@" --init-file="$init"
fi

log "Starting $*"
exec "$@"

#!/bin/bash
# Entrypoint of migtest's locally built MariaDB and MySQL images
# (.ci/mariadb-image/build.sh).
#
# It behaves like the official mariadb and mysql images' entrypoints for what
# tests use: MARIADB_ROOT_PASSWORD / MARIADB_ALLOW_EMPTY_ROOT_PASSWORD /
# MARIADB_RANDOM_ROOT_PASSWORD, MARIADB_ROOT_HOST, MARIADB_DATABASE,
# MARIADB_USER, MARIADB_PASSWORD, and the official mysql image's names for
# them (MYSQL_ROOT_PASSWORD, MYSQL_ALLOW_EMPTY_PASSWORD,
# MYSQL_RANDOM_ROOT_PASSWORD, MYSQL_ROOT_HOST, MYSQL_DATABASE, MYSQL_USER,
# MYSQL_PASSWORD), on either server, and *_FILE variants of each. An empty
# datadir is initialised with mariadb-install-db (MariaDB) or mysqld
# --initialize-insecure (MySQL); the accounts and database are created by an
# --init-file on the server's first start, so there is no temporary server and
# the port opens only when everything is ready. Arguments starting with '-'
# are options for the server, as with the official images.
#
# Not supported: /docker-entrypoint-initdb.d (a warning says so), time zone
# loading, MARIADB_AUTO_UPGRADE, MYSQL_ONETIME_PASSWORD. This is a test image: the init file (with the
# passwords) stays in /run/mysqld inside the container, readable by mysql only.
set -euo pipefail

log()  { printf '%s [Note] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
warn() { printf '%s [Warn] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; }
die()  { printf '%s [ERROR] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; exit 1; }

# env_of MARIADB_NAME: MARIADB_NAME, else its MYSQL_ name (the official mysql
# image's: MYSQL_ALLOW_EMPTY_PASSWORD for the empty root password), else the
# content of the file named by either's _FILE variable, else empty.
env_of() {
	local n=$1 m v f
	m="MYSQL_${n#MARIADB_}"
	[ "$n" != MARIADB_ALLOW_EMPTY_ROOT_PASSWORD ] || m=MYSQL_ALLOW_EMPTY_PASSWORD
	for v in "$n" "$m"; do
		if [ -n "${!v:-}" ]; then printf '%s' "${!v}"; return; fi
	done
	for f in "${n}_FILE" "${m}_FILE"; do
		if [ -n "${!f:-}" ]; then cat -- "${!f}"; return; fi
	done
}

# sql_str quotes a string literal; sql_id quotes an identifier.
sql_str() { local s=${1//\\/\\\\}; s=${s//\'/\\\'}; printf "'%s'" "$s"; }
sql_id()  { printf '`%s`' "${1//\`/\`\`}"; }

# The server this image carries: MariaDB has mariadb-install-db, MySQL not.
flavour=mysql server=mysqld
if command -v mariadb-install-db >/dev/null 2>&1; then
	flavour=mariadb server=mariadbd
fi
if [ "${1:0:1}" = '-' ]; then
	set -- "$server" "$@"
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

	log "Initializing $flavour database files in $datadir"
	install_args=()
	for a in "${@:2}"; do
		case $a in
		--innodb-log-file-size=*|--innodb_log_file_size=*|--loose-innodb-log-file-size=*|--innodb-page-size=*|--innodb_page_size=*|--character-set-server=*|--collation-server=*|--character_set_server=*|--collation_server=*) install_args+=("$a") ;;
		esac
	done
	if [ "$flavour" = mariadb ]; then
		initcmd=(mariadb-install-db --datadir="$datadir" --user=mysql --auth-root-authentication-method=normal
			--skip-test-db --skip-name-resolve --skip-log-bin
			--loose-innodb-buffer-pool-load-at-startup=0 --loose-innodb-buffer-pool-dump-at-shutdown=0)
	else
		initcmd=(mysqld --initialize-insecure --datadir="$datadir" --user=mysql)
	fi
	if ! out=$("${initcmd[@]}" "${install_args[@]}" 2>&1); then
		printf '%s\n' "$out" >&2
		die "${initcmd[0]} failed"
	fi

	init=/run/mysqld/migtest-init.sql
	pw=$(sql_str "$root_pw")
	{
		if [ "$flavour" = mariadb ]; then
			echo "DELETE FROM mysql.global_priv WHERE User='' OR (User='root' AND Host <> 'localhost');"
			echo "DELETE FROM mysql.proxies_priv WHERE User='root' AND Host <> 'localhost';"
			echo "FLUSH PRIVILEGES;"
		fi
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

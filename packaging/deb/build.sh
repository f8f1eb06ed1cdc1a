#!/bin/sh
# Builds xprov_VERSION_all.deb into OUTDIR (default: the repository root) with dpkg-deb
# from what `make build` made (bin/, dist/) and the files of this directory. `make deb`
# runs it after `make build`; test/packaging/deb.test.ts runs it into a temp dir.
#
# dpkg-deb rather than debhelper: the package is a handful of files put in place, with
# no compilation, and dpkg-deb comes with dpkg itself. The maintainer scripts are the
# snippets dh_installsystemd, dh_installsysusers and dh_installtmpfiles would write.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo}
version=$(node -p 'require(process.argv[1]).version' "$repo/package.json")
# Reproducible: the date of the last commit (or now, outside git) for the changelog and file times.
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}

for f in bin/xprov.cjs dist/xprov.cjs dist/xprov.cjs.cache dist/openapi-backend.cjs; do
	[ -f "$repo/$f" ] || { echo "packaging/deb/build.sh: $f is missing: run \`make build\` first" >&2; exit 1; }
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/xprov"

# The program: the launcher and the bundles, with the code cache (no node_modules: the
# bundles hold every runtime dependency; openapi-backend.cjs only `check` and `mock` load), and package.json (`xprov --version`).
install -D -m 0755 "$repo/bin/xprov.cjs" "$root/usr/lib/xprov/bin/xprov.cjs"
install -D -m 0644 "$repo/dist/xprov.cjs" "$root/usr/lib/xprov/dist/xprov.cjs"
install -D -m 0644 "$repo/dist/xprov.cjs.cache" "$root/usr/lib/xprov/dist/xprov.cjs.cache"
install -D -m 0644 "$repo/dist/openapi-backend.cjs" "$root/usr/lib/xprov/dist/openapi-backend.cjs"
install -D -m 0644 "$repo/package.json" "$root/usr/lib/xprov/package.json"
install -d "$root/usr/bin"
ln -s ../lib/xprov/bin/xprov.cjs "$root/usr/bin/xprov"

# The units as examples/systemd ships them (test/examples/systemd.test.ts checks them),
# the user, its directories and the settings (a conffile).
install -D -m 0644 "$repo/examples/systemd/xprov.socket" "$root/usr/lib/systemd/system/xprov.socket"
install -D -m 0644 "$repo/examples/systemd/xprov.service" "$root/usr/lib/systemd/system/xprov.service"
install -D -m 0644 "$here/sysusers.conf" "$root/usr/lib/sysusers.d/xprov.conf"
install -D -m 0644 "$here/tmpfiles.conf" "$root/usr/lib/tmpfiles.d/xprov.conf"
install -D -m 0644 "$repo/examples/systemd/config.yaml" "$root/etc/xprov/config.yaml"

# Documentation: copyright, changelog, the man page, the drop-ins for the other stores.
doc="$root/usr/share/doc/xprov"
install -D -m 0644 "$here/copyright" "$doc/copyright"
date=$(date -u -R -d "@$epoch")
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" "$here/changelog" | gzip -9n > "$doc/changelog.gz"
for f in credentials.conf dps.conf; do
	install -D -m 0644 "$repo/examples/systemd/xprov.service.d/$f" "$doc/examples/xprov.service.d/$f"
done
install -d "$root/usr/share/man/man1"
gzip -9n < "$here/xprov.1" > "$root/usr/share/man/man1/xprov.1.gz"
chmod 0644 "$doc/changelog.gz" "$root/usr/share/man/man1/xprov.1.gz"

# Control files.
install -d -m 0755 "$root/DEBIAN"
size=$(du -k -s --apparent-size "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" "$here/control.in" > "$root/DEBIAN/control"
echo "Installed-Size: $size" >> "$root/DEBIAN/control"
echo /etc/xprov/config.yaml > "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
	install -m 0755 "$here/$script" "$root/DEBIAN/$script"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
find "$root" -exec touch -h -d "@$epoch" {} +

mkdir -p "$out"
deb="$out/xprov_${version}_all.deb"
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"

#!/usr/bin/env bash
# The Debian package as a user gets it: cpack builds the .deb from this build tree, dpkg -x unpacks
# it into a temporary root, and the programs run from there on the data installed with them (not
# the source tree's): q8chat --version, q8bench info and q8chat --screenshot (offscreen). lintian,
# when installed, must report no errors, and appstreamcli, when installed, must accept the
# metainfo. Arguments: the build directory, and ON when the build made man pages.
set -euo pipefail
build_dir=$1
man_pages=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack could not build the package"; }
deb=$(ls "$work"/out/*.deb)
echo "built $(basename "$deb")"
depends=$(dpkg-deb --field "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libqt6widgets6 libqt6charts6; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib"
done

root=$work/root
dpkg -x "$deb" "$root"
export HOME=$work/home XDG_CONFIG_HOME=$work/home/config XDG_CACHE_HOME=$work/home/cache \
  XDG_DATA_HOME=$work/home/data QT_QPA_PLATFORM=offscreen
models=$root/usr/share/q8chat/models

version=$("$root/usr/bin/q8chat" --version) || fail "q8chat --version"
[[ $version == "q8chat 0."* ]] || fail "q8chat --version printed '$version'"
info=$("$root/usr/bin/q8bench" info) || fail "q8bench info"
[[ $info == *"$models/demo-target.gguf"* ]] || fail "q8bench info did not use the installed model: $info"
"$root/usr/bin/q8chat" --screenshot "$work/window.png" >"$work/q8chat.log" 2>&1 ||
  { cat "$work/q8chat.log"; fail "q8chat --screenshot"; }
[[ -s $work/window.png ]] || fail "no screenshot"
# The window opened the installed built-in model (it remembers what it opened).
grep -q "$models/demo-target.gguf" "$XDG_CONFIG_HOME/q8chat/q8chat.conf" ||
  fail "q8chat did not open the installed model: $(cat "$XDG_CONFIG_HOME/q8chat/q8chat.conf")"
[[ -f $root/usr/share/q8chat/kiosk-prompts.json ]] || fail "no kiosk prompts"
[[ -f $root/usr/share/icons/hicolor/scalable/apps/q8chat.svg ]] || fail "no icon"
if [[ $man_pages == ON ]]; then
  for page in q8chat q8bench q8quant; do
    zcat "$root/usr/share/man/man1/$page.1.gz" | grep -q '^\.TH' || fail "no man page for $page"
  done
fi

if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net "$root"/usr/share/metainfo/*.metainfo.xml || fail "appstreamcli validate"
fi
if command -v lintian >/dev/null; then
  lintian --fail-on error "$deb" || fail "lintian reports errors"
else
  echo "lintian is not installed: skipped"
fi
echo "PASS"


# --- `make-rootfs` -----------------------------------------------------------------------------------------------

make_rootfs() {
  { [ $# = 2 ] && [ "$1" = --name ]; } || die "usage: make-rootfs --name NAME"
  valid_name "$2" || die "--name must match [A-Za-z0-9][A-Za-z0-9_.-]{0,62}: $2"
  find_caller
  [ "$mode" = privileged ] || die "make-rootfs needs root (directly, or through sudo or pkexec): rootless containers use a rootfs of your own (mini-containers make-rootfs DIR)"
  [ -x "$STATIC_INIT" ] || die "make-rootfs needs a static busybox at $STATIC_INIT: apt-get install busybox-static"
  make_store_rootfs "$2"
}

# The BusyBox root filesystem in the new folder $1 (hostname $2), from the host's static busybox. The extension's
# builder (src/core/rootfs/busyboxRootfs.ts) makes the same tree for a rootfs of the user's own.
build_busybox_rootfs() {
  for dir in bin sbin usr/bin usr/sbin etc root tmp proc dev sys run var home; do mkdir -p -- "$1/$dir" || return 1; done
  chmod 1777 -- "$1/tmp" && chmod 0700 -- "$1/root" && cp -- "$STATIC_INIT" "$1/bin/busybox" || return 1
  # Hard links, as in Docker's busybox image: the same file inside the rootfs and seen from the host, and a
  # command the helper finds without following a link.
  "$1/bin/busybox" --install "$1/bin" || return 1
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$1/etc/passwd" &&
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$1/etc/group" && printf '%s\n' "$2" > "$1/etc/hostname"
}

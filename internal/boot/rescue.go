package boot

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Busybox is the rescue shell binary in the initrd.
const Busybox = "/bin/busybox"

// resetHash is SHA-512 crypt of "password" (openssl passwd -6 -salt
// ucvmreset password); the original used the DES crypt of the same word.
const resetHash = "$6$ucvmreset$u8oVLsoN7uCQcIL.o5zyzgHCfh5It27H5l6A7j9ctQzRWN7ZMJEH76XV1TkOgZh9HCP8RRdbpMdkwTMreAXVU1"

// Rescue drops into an interactive busybox shell on tty (default the
// console) with the prompt "(initrd) ", after printing the reason and the
// partitions. When the shell ends, the user chooses to continue the boot
// (Enter, c) or power off (p). It returns true to continue.
func Rescue(con *Console, reason, tty string) bool {
	con.Error("%s", reason)
	con.Info("Entering rescue console")
	if b, err := os.ReadFile("/proc/partitions"); err == nil {
		con.Raw(string(b))
	}
	in, out := os.Stdin, os.Stdout
	if tty != "" {
		f, err := os.OpenFile(tty, os.O_RDWR, 0)
		if err == nil {
			defer f.Close()
			in, out = f, f
		}
	}
	if bb := busybox(); bb == "" {
		con.Warn("no %s in the initrd: no rescue shell", Busybox)
	} else {
		installRescueTools(bb)
		cmd := exec.Command(bb, "sh", "-i")
		cmd.Env = append(os.Environ(), "PS1=(initrd) ", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "ROOT="+NewRoot)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, out
		fmt.Fprintln(out, "Type reset_root_password to set root's password to \"password\"; exit (Ctrl+D) to leave.")
		_ = cmd.Run()
	}
	fmt.Fprint(out, "[INF] Continue boot [c] or power off [p]? ")
	line, _ := bufio.NewReader(in).ReadString('\n')
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "p") {
		return false
	}
	fmt.Fprintln(out)
	return true
}

func installRescueTools(bb string) {
	_ = os.MkdirAll("/bin", 0o755)
	if _, err := os.Stat("/bin/sh"); err != nil {
		_ = exec.Command(bb, "--install", "-s", "/bin").Run()
	}
	_ = os.Remove("/bin/reset_root_password")
	_ = os.Symlink("/init", "/bin/reset_root_password")
}

// ResetRootPassword sets root's password hash in root/etc/shadow (or
// root/etc/passwd when there is no shadow file) to the hash of "password".
func ResetRootPassword(root string) error {
	for _, f := range []string{"etc/shadow", "etc/passwd"} {
		p := filepath.Join(root, f)
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		out, ok := setRootHash(string(b))
		if !ok {
			continue
		}
		st, _ := os.Stat(p)
		mode := os.FileMode(0o600)
		if st != nil {
			mode = st.Mode().Perm()
		}
		return writeAtomic(p, []byte(out), mode)
	}
	return fmt.Errorf("no root entry in %s/etc/shadow or %s/etc/passwd", root, root)
}

func setRootHash(s string) (string, bool) {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) >= 2 && f[0] == "root" {
			f[1] = resetHash
			lines[i] = strings.Join(f, ":")
			return strings.Join(lines, "\n"), true
		}
	}
	return s, false
}

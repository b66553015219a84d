package usage

import (
	"os"
	"strconv"
	"strings"
)

// procRoot is /proc; tests point it elsewhere.
var procRoot = "/proc"

// DescribePeer reads what /proc says of pid and of its parent. Fields it
// cannot read stay empty: a process that ended meanwhile is described as
// far as it could be.
func DescribePeer(pid int) Peer {
	p := Peer{PID: pid}
	if pid <= 0 {
		return p
	}
	p.Exe = exe(pid)
	if st, ok := stat(pid); ok {
		p.ParentPID, p.Session, p.TTY, p.Start = st.ppid, st.session, st.tty, st.start
		if p.ParentPID > 0 {
			p.ParentExe = exe(p.ParentPID)
		}
	}
	return p
}

func exe(pid int) string {
	s, err := os.Readlink(procRoot + "/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return ""
	}
	return s
}

type procStat struct {
	ppid, session, tty int
	start              uint64
}

// stat parses /proc/PID/stat: the command name is in parentheses and may
// hold spaces and parentheses itself, so the fields are counted from the
// last ')'.
func stat(pid int) (procStat, bool) {
	b, err := os.ReadFile(procRoot + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	return parseStat(string(b))
}

func parseStat(s string) (procStat, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, false
	}
	// After ")": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) … starttime(22).
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return procStat{}, false
	}
	var st procStat
	var err1, err2, err3, err4 error
	st.ppid, err1 = strconv.Atoi(f[1])
	st.session, err2 = strconv.Atoi(f[3])
	st.tty, err3 = strconv.Atoi(f[4])
	st.start, err4 = strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return procStat{}, false
	}
	return st, true
}

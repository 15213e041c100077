//go:build !linux

package bench

import (
	"errors"
	"os/exec"
	"time"
)

// errNoProc is returned where the benchmark would read /proc.
var errNoProc = errors.New("process statistics need Linux /proc")

func setProcAttr(*exec.Cmd) {}

func raiseFileLimit() (uint64, error) { return 0, errNoProc }

func procStatus(int) (int64, int, error) { return 0, 0, errNoProc }

func procCPU(int) (time.Duration, error) { return 0, errNoProc }

func machineCPU() (time.Duration, error) { return 0, errNoProc }

func selfCPU() time.Duration { return 0 }

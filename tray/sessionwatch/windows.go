//go:build windows

package sessionwatch

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The window messages and codes of WTSRegisterSessionNotification and
// WM_POWERBROADCAST.
const (
	wmDestroy            = 0x0002
	wmClose              = 0x0010
	wmPowerBroadcast     = 0x0218
	wmWTSSessionChange   = 0x02B1
	wtsSessionLock       = 0x7
	pbtAPMSuspend        = 0x0004
	notifyForThisSession = 0

	// suspendWait is how long the window holds a suspend for the lock:
	// Windows gives a WM_POWERBROADCAST handler about two seconds.
	suspendWait = 2 * time.Second
)

var (
	user32                 = windows.NewLazySystemDLL("user32.dll")
	wtsapi32               = windows.NewLazySystemDLL("wtsapi32.dll")
	procRegisterClassExW   = user32.NewProc("RegisterClassExW")
	procUnregisterClassW   = user32.NewProc("UnregisterClassW")
	procCreateWindowExW    = user32.NewProc("CreateWindowExW")
	procDestroyWindow      = user32.NewProc("DestroyWindow")
	procDefWindowProcW     = user32.NewProc("DefWindowProcW")
	procGetMessageW        = user32.NewProc("GetMessageW")
	procTranslateMessage   = user32.NewProc("TranslateMessage")
	procDispatchMessageW   = user32.NewProc("DispatchMessageW")
	procPostMessageW       = user32.NewProc("PostMessageW")
	procPostQuitMessage    = user32.NewProc("PostQuitMessage")
	procWTSRegisterSession = wtsapi32.NewProc("WTSRegisterSessionNotification")
	procWTSUnregister      = wtsapi32.NewProc("WTSUnRegisterSessionNotification")

	wndProc = windows.NewCallback(windowProc)
)

type wndClassEx struct {
	size       uint32
	style      uint32
	wndProc    uintptr
	clsExtra   int32
	wndExtra   int32
	instance   windows.Handle
	icon       windows.Handle
	cursor     windows.Handle
	background windows.Handle
	menuName   *uint16
	className  *uint16
	iconSm     windows.Handle
}

type msg struct {
	hwnd    uintptr
	message uint32
	wParam  uintptr
	lParam  uintptr
	time    uint32
	pt      struct{ x, y int32 }
}

// Run listens on a hidden top-level window (a message-only window gets no
// broadcasts such as WM_POWERBROADCAST) until ctx ends, and returns
// ctx.Err().
func Run(ctx context.Context, o Options) error {
	o.defaults()
	if err := claim(&o); err != nil {
		return err
	}
	defer release()

	runtime.LockOSThread() // a window's messages come to the thread that made it
	defer runtime.UnlockOSThread()
	var inst windows.Handle
	if err := windows.GetModuleHandleEx(0, nil, &inst); err != nil {
		return fmt.Errorf("watching for the screen lock: %w", err)
	}
	class, _ := windows.UTF16PtrFromString("awstraySessionWatch")
	wc := wndClassEx{wndProc: wndProc, instance: inst, className: class}
	wc.size = uint32(unsafe.Sizeof(wc))
	if r, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
		return fmt.Errorf("watching for the screen lock: registering a window class: %w", err)
	}
	defer procUnregisterClassW.Call(uintptr(unsafe.Pointer(class)), uintptr(inst))
	hwnd, _, err := procCreateWindowExW.Call(0, uintptr(unsafe.Pointer(class)), uintptr(unsafe.Pointer(class)), 0, 0, 0, 0, 0, 0, 0, uintptr(inst), 0)
	if hwnd == 0 {
		return fmt.Errorf("watching for the screen lock: creating a window: %w", err)
	}
	if r, _, err := procWTSRegisterSession.Call(hwnd, notifyForThisSession); r == 0 {
		o.Log.Warn("locking with the screen is off", "err", fmt.Errorf("registering for session notifications: %w", err))
	}
	o.Ready()
	go func() {
		<-ctx.Done()
		procPostMessageW.Call(hwnd, wmClose, 0, 0)
	}()
	var m msg
	for {
		r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
		if int32(r) <= 0 { // WM_QUIT, or an error
			break
		}
		procTranslateMessage.Call(uintptr(unsafe.Pointer(&m)))
		procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
	}
	if ctx.Err() == nil {
		return errors.New("watching for the screen lock: the window's message loop ended")
	}
	return ctx.Err()
}

func windowProc(hwnd, message, wParam, lParam uintptr) uintptr {
	o := running()
	switch message {
	case wmWTSSessionChange:
		if wParam == wtsSessionLock && o != nil {
			o.OnEvent(Event{Reason: ScreenLocked, Source: "WTS_SESSION_LOCK"})
		}
	case wmPowerBroadcast:
		if wParam == pbtAPMSuspend && o != nil {
			done := make(chan struct{})
			o.OnEvent(Event{Reason: Suspend, Source: "PBT_APMSUSPEND", done: once(func() { close(done) })})
			select { // hold the suspend while the tray locks, briefly
			case <-done:
			case <-time.After(suspendWait):
			}
		}
		return 1 // TRUE: the broadcast is handled
	case wmClose:
		procWTSUnregister.Call(hwnd)
		procDestroyWindow.Call(hwnd)
		return 0
	case wmDestroy:
		procPostQuitMessage.Call(0)
		return 0
	}
	r, _, _ := procDefWindowProcW.Call(hwnd, message, wParam, lParam)
	return r
}

package testenv

import (
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// MenuItem is one com.canonical.dbusmenu item as a desktop reads it.
type MenuItem struct {
	ID       int32
	Label    string
	Enabled  bool
	Visible  bool
	Toggle   int32 // -1: not a checkbox; 0/1 unchecked/checked
	Children []MenuItem

	hasSubmenu bool
}

// TrayClient reads and clicks a StatusNotifierItem's menu over D-Bus, as a
// panel does.
type TrayClient struct {
	Conn *dbus.Conn
	Name string // the item's bus name, org.kde.StatusNotifierItem-PID-1
	menu dbus.ObjectPath
}

// ConnectTray connects to the bus at address and waits up to timeout for
// the process pid to own its StatusNotifierItem name.
func ConnectTray(address string, pid int, timeout time.Duration) (*TrayClient, error) {
	conn, err := dbus.Connect(address)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", address, err)
	}
	name := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", pid)
	deadline := time.Now().Add(timeout)
	for {
		var has bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has); err == nil && has {
			break
		}
		if time.Now().After(deadline) {
			conn.Close()
			return nil, fmt.Errorf("%s did not appear on the bus within %s", name, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := &TrayClient{Conn: conn, Name: name, menu: "/StatusNotifierItem/menu"}
	if v, err := conn.Object(name, "/StatusNotifierItem").GetProperty("org.kde.StatusNotifierItem.Menu"); err == nil {
		if p, ok := v.Value().(dbus.ObjectPath); ok {
			c.menu = p
		}
	}
	return c, nil
}

// Close closes the connection.
func (c *TrayClient) Close() error { return c.Conn.Close() }

// Property reads a StatusNotifierItem property (Title, ToolTip, IconPixmap…).
func (c *TrayClient) Property(name string) (dbus.Variant, error) {
	return c.Conn.Object(c.Name, "/StatusNotifierItem").GetProperty("org.kde.StatusNotifierItem." + name)
}

// Layout reads the whole menu. The first GetLayout after start answers one
// level only (fyne.io/systray's workaround for libdbusmenu), so submenus
// are asked for by id until they are filled in.
func (c *TrayClient) Layout() (MenuItem, error) {
	root, err := c.layout(0)
	if err != nil {
		return MenuItem{}, err
	}
	if err := c.fill(&root); err != nil {
		return MenuItem{}, err
	}
	return root, nil
}

// TopLevel reads the menu with one GetLayout call, as a panel does when
// the menu first opens: the top level, and whatever the tray sends of the
// levels below.
func (c *TrayClient) TopLevel() (MenuItem, error) { return c.layout(0) }

func (c *TrayClient) fill(it *MenuItem) error {
	for i := range it.Children {
		ch := &it.Children[i]
		if ch.hasSubmenu && len(ch.Children) == 0 {
			full, err := c.layout(ch.ID)
			if err != nil {
				return err
			}
			ch.Children = full.Children
		}
		if err := c.fill(ch); err != nil {
			return err
		}
	}
	return nil
}

func (c *TrayClient) layout(id int32) (MenuItem, error) {
	var (
		rev uint32
		raw []interface{}
	)
	call := c.Conn.Object(c.Name, c.menu).Call("com.canonical.dbusmenu.GetLayout", 0, id, int32(-1), []string{})
	if call.Err != nil {
		return MenuItem{}, fmt.Errorf("GetLayout(%d): %w", id, call.Err)
	}
	if len(call.Body) != 2 {
		return MenuItem{}, fmt.Errorf("GetLayout(%d): %d values", id, len(call.Body))
	}
	rev, _ = call.Body[0].(uint32)
	_ = rev
	raw, ok := call.Body[1].([]interface{})
	if !ok {
		return MenuItem{}, fmt.Errorf("GetLayout(%d): layout of type %T", id, call.Body[1])
	}
	return parseLayout(raw)
}

// parseLayout reads the (ia{sv}av) structure.
func parseLayout(raw []interface{}) (MenuItem, error) {
	if len(raw) != 3 {
		return MenuItem{}, fmt.Errorf("a layout of %d fields", len(raw))
	}
	it := MenuItem{Enabled: true, Visible: true, Toggle: -1}
	it.ID, _ = raw[0].(int32)
	props, _ := raw[1].(map[string]dbus.Variant)
	if v, ok := props["label"]; ok {
		it.Label, _ = v.Value().(string)
	}
	if v, ok := props["enabled"]; ok {
		it.Enabled, _ = v.Value().(bool)
	}
	if v, ok := props["visible"]; ok {
		it.Visible, _ = v.Value().(bool)
	}
	if v, ok := props["toggle-state"]; ok {
		it.Toggle, _ = v.Value().(int32)
	}
	if v, ok := props["children-display"]; ok {
		s, _ := v.Value().(string)
		it.hasSubmenu = s == "submenu"
	}
	children, _ := raw[2].([]dbus.Variant)
	for _, ch := range children {
		sub, ok := ch.Value().([]interface{})
		if !ok {
			continue
		}
		c, err := parseLayout(sub)
		if err != nil {
			return MenuItem{}, err
		}
		it.Children = append(it.Children, c)
	}
	return it, nil
}

// Find returns the first visible item, depth first, whose label starts
// with each prefix in turn (a path through submenus).
func (it MenuItem) Find(prefixes ...string) (MenuItem, bool) {
	cur := it
	for _, p := range prefixes {
		found := false
		for _, ch := range cur.Children {
			if ch.Visible && strings.HasPrefix(ch.Label, p) {
				cur, found = ch, true
				break
			}
		}
		if !found {
			return MenuItem{}, false
		}
	}
	return cur, true
}

// Labels lists the visible labels of the item's children.
func (it MenuItem) Labels() []string {
	var out []string
	for _, ch := range it.Children {
		if ch.Visible {
			out = append(out, ch.Label)
		}
	}
	return out
}

// Click sends the "clicked" event to item id, as a panel does.
func (c *TrayClient) Click(id int32) error {
	return c.Conn.Object(c.Name, c.menu).Call("com.canonical.dbusmenu.Event", 0, id, "clicked", dbus.MakeVariant(int32(0)), uint32(time.Now().Unix())).Err
}

// WaitFor reads the menu until ok holds, up to timeout.
func (c *TrayClient) WaitFor(timeout time.Duration, what string, ok func(MenuItem) bool) (MenuItem, error) {
	deadline := time.Now().Add(timeout)
	var last MenuItem
	for {
		m, err := c.Layout()
		if err == nil {
			last = m
			if ok(m) {
				return m, nil
			}
		}
		if time.Now().After(deadline) {
			return last, fmt.Errorf("timed out after %s waiting for %s (last error: %v)", timeout, what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

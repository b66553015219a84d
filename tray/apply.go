package tray

import (
	"reflect"
	"sync"

	"fyne.io/systray"
)

// applier is the one place that touches systray. It keeps the systray item
// of every menu ID and the intent each item stands for now.
type applier struct {
	out chan<- Intent // the event loop's intents; sends never block

	// mu protects everything below it: Apply runs on the event loop, clicks
	// arrive on the dispatcher goroutine.
	mu      sync.Mutex
	shape   string
	items   map[string]*systray.MenuItem
	applied map[string]Item // what each systray item shows now
	intents map[*systray.MenuItem]Intent
	stop    chan struct{} // ends the current dispatcher
	icons   func(Icon) []byte
	icon    Icon
	tooltip string
	started bool
}

func newApplier(out chan<- Intent, icons func(Icon) []byte) *applier {
	return &applier{out: out, icons: icons, icon: -1}
}

// Apply shows m: a rebuild when its shape changed, updates in place
// otherwise.
func (a *applier) Apply(m Menu) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if m.Icon != a.icon {
		a.icon = m.Icon
		systray.SetIcon(a.icons(m.Icon))
	}
	if m.Tooltip != a.tooltip {
		a.tooltip = m.Tooltip
		systray.SetTooltip(m.Tooltip)
	}
	if shape := Shape(m.Items); shape != a.shape || !a.started {
		a.rebuildLocked(m.Items)
		a.shape, a.started = shape, true
		return
	}
	a.updateLocked(m.Items)
}

func (a *applier) rebuildLocked(items []Item) {
	if a.stop != nil {
		close(a.stop)
	}
	if a.started {
		systray.ResetMenu()
	}
	a.items = make(map[string]*systray.MenuItem)
	a.applied = make(map[string]Item)
	a.intents = make(map[*systray.MenuItem]Intent)
	var add func(parent *systray.MenuItem, items []Item)
	add = func(parent *systray.MenuItem, items []Item) {
		for _, it := range items {
			var mi *systray.MenuItem
			switch {
			case parent == nil && it.Checkable:
				mi = systray.AddMenuItemCheckbox(it.Title, it.Tooltip, it.Checked)
			case parent == nil:
				mi = systray.AddMenuItem(it.Title, it.Tooltip)
			case it.Checkable:
				mi = parent.AddSubMenuItemCheckbox(it.Title, it.Tooltip, it.Checked)
			default:
				mi = parent.AddSubMenuItem(it.Title, it.Tooltip)
			}
			if it.Disabled {
				mi.Disable()
			}
			if it.Hidden {
				mi.Hide()
			}
			a.items[it.ID] = mi
			a.applied[it.ID] = Item{ID: it.ID, Title: it.Title, Tooltip: it.Tooltip, Disabled: it.Disabled, Checked: it.Checked, Hidden: it.Hidden}
			if it.Intent.Kind != IntentNone {
				a.intents[mi] = it.Intent
			}
			add(mi, it.Children)
		}
	}
	add(nil, items)
	a.stop = make(chan struct{})
	go a.dispatch(a.stop, a.items)
}

func (a *applier) updateLocked(items []Item) {
	var walk func(items []Item)
	walk = func(items []Item) {
		for _, it := range items {
			mi := a.items[it.ID]
			old := a.applied[it.ID]
			if it.Title != old.Title {
				mi.SetTitle(it.Title)
			}
			if it.Tooltip != old.Tooltip {
				mi.SetTooltip(it.Tooltip)
			}
			if it.Disabled != old.Disabled {
				if it.Disabled {
					mi.Disable()
				} else {
					mi.Enable()
				}
			}
			if it.Checked != old.Checked {
				if it.Checked {
					mi.Check()
				} else {
					mi.Uncheck()
				}
			}
			if it.Hidden != old.Hidden {
				if it.Hidden {
					mi.Hide()
				} else {
					mi.Show()
				}
			}
			a.applied[it.ID] = Item{ID: it.ID, Title: it.Title, Tooltip: it.Tooltip, Disabled: it.Disabled, Checked: it.Checked, Hidden: it.Hidden}
			if it.Intent.Kind != IntentNone {
				a.intents[mi] = it.Intent
			} else {
				delete(a.intents, mi)
			}
			walk(it.Children)
		}
	}
	walk(items)
}

// dispatch turns clicks into intents: one goroutine selects over every
// item's ClickedCh (a goroutine per item would cost kilobytes each with
// hundreds of profiles) and sends without blocking, so systray never drops
// a click because a handler is busy.
func (a *applier) dispatch(stop chan struct{}, items map[string]*systray.MenuItem) {
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(stop)}}
	owners := []*systray.MenuItem{nil}
	for _, mi := range items {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(mi.ClickedCh)})
		owners = append(owners, mi)
	}
	for {
		i, _, ok := reflect.Select(cases)
		if i == 0 {
			return
		}
		if !ok { // the item was removed
			cases[i].Chan = reflect.Value{}
			continue
		}
		a.mu.Lock()
		in, has := a.intents[owners[i]]
		a.mu.Unlock()
		if !has {
			continue
		}
		select {
		case a.out <- in:
		default: // the loop is flooded; a person clicks again
		}
	}
}

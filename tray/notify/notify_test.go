package notify

import "testing"

func TestStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Normal.String(), "normal"}, {Low.String(), "low"}, {Critical.String(), "critical"},
		{Expired.String(), "expired"}, {Dismissed.String(), "dismissed"},
		{ClosedByCall.String(), "closed"}, {Undefined.String(), "undefined"}, {CloseReason(9).String(), "undefined"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	if o.AppName != "awstray" || o.DesktopEntry != "awstray" || o.CallTimeout <= 0 {
		t.Errorf("defaults: %+v", o)
	}
	o = Options{AppName: "x", DesktopEntry: "y"}.withDefaults()
	if o.AppName != "x" || o.DesktopEntry != "y" {
		t.Errorf("kept: %+v", o)
	}
}

package main

import (
	"strings"
	"testing"
)

func TestViewFilterRefusesBadValues(t *testing.T) {
	for _, c := range []struct {
		f    viewFilter
		want string
	}{
		{viewFilter{state: "late"}, `--state: "late" is not one of ok, due, overdue, inactive`},
		{viewFilter{dueWithin: "soon"}, "--due-within:"},
		{viewFilter{dueWithin: "40000d"}, "longer than"},
		{viewFilter{credential: "[a-"}, "--credential:"},
		{viewFilter{limit: -1}, "--limit: -1 is negative"},
	} {
		_, err := c.f.parse()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parse(%+v) = %v, want an error with %q", c.f, err, c.want)
		}
	}
	got, err := (&viewFilter{owner: "payments", state: "due", dueWithin: "30d", credential: "sp-*", limit: 5}).parse()
	if err != nil {
		t.Fatal(err)
	}
	if got.Owner != "payments" || got.State != "due" || got.DueWithin.Days != 30 || got.Credential != "sp-*" || got.Limit != 5 {
		t.Errorf("parse = %+v", got)
	}
}

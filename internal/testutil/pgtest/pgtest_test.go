package pgtest

import (
	"database/sql"
	"net/url"
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestDatabase connects to a test's database with the password role, and
// is refused with a wrong password.
func TestDatabase(t *testing.T) {
	s := Current(t)
	name := s.Database(t)
	tests := []struct {
		password string
		wantErr  bool
	}{{Password, false}, {"wrong", true}}
	for _, tc := range tests {
		u, _ := url.Parse(s.PasswordURL(name))
		u.User = url.UserPassword(PasswordRole, tc.password)
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = db.QueryRowContext(t.Context(), `SELECT current_database()`).Scan(&got)
		db.Close()
		if tc.wantErr != (err != nil) {
			t.Fatalf("password %q: err = %v, want error %v", tc.password, err, tc.wantErr)
		}
		if err == nil && got != name {
			t.Errorf("current_database() = %q, want %q", got, name)
		}
	}
}

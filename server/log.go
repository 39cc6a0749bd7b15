package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/backchannel/backchannel/session"
)

// The session log's routes (docs/commitments.md): a reader's view of the
// whole log, and the ?tree= parameter by which a snapshot or stream proves
// its first checkpoint consistent with the newest one the reader verified.

// logRoutes registers the log routes.
func (s *Server) logRoutes() {
	s.route("/api/owner/{token}/log", map[string]http.HandlerFunc{"GET": s.sessionLog})
	s.route("/api/seats/{token}/log", map[string]http.HandlerFunc{"GET": s.sessionLog})
	s.route("/api/owner/{token}/agreement", map[string]http.HandlerFunc{"GET": s.agreement})
	s.route("/api/seats/{token}/agreement", map[string]http.HandlerFunc{"GET": s.agreement})
}

// agreement answers with the agreement document, signed by the server
// (api.Agreement); 409 no_agreement if the session has none.
func (s *Server) agreement(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	a, err := s.m.Agreement(r.Context(), acc)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// sessionLog answers with the log as the link may read it (api.LogExport).
func (s *Server) sessionLog(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	x, err := s.m.Log(r.Context(), acc)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

// withTree reads ?tree=N (the size of the newest checkpoint the reader has
// verified) into the request's context for the session package.
func withTree(ctx context.Context, r *http.Request) (context.Context, error) {
	v := r.URL.Query().Get("tree")
	if v == "" {
		return ctx, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return ctx, &session.Error{Code: session.CodeInvalid, Field: "tree", Message: "tree must be the size of the newest log checkpoint you verified (0 or more), not " + strconv.Quote(v)}
	}
	return session.WithLogFrom(ctx, n), nil
}

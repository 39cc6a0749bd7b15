package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/protocol"
	"github.com/backchannel/backchannel/session"
	"github.com/backchannel/backchannel/strategy"
	"github.com/backchannel/backchannel/web"
)

// The workbench: its pages at / and /assets/, and the routes its rooms and
// scenario pages use beyond the seat protocol. A seat's routes answer only
// about the seat's own profile. The scenario analysis shows every party's
// preferences: it belongs to the scenario catalogue (the operator's view,
// like uploads and new sessions), never to a room, whose pages do not
// request it (docs/workbench.md).

// DefaultPackages is how many packages GET {seat}/packages lists unless
// told otherwise.
const DefaultPackages = 20

// web registers the workbench's pages and routes.
func (s *Server) web() {
	s.route("/api/protocols", map[string]http.HandlerFunc{"GET": s.protocols})
	s.route("/api/strategies", map[string]http.HandlerFunc{"GET": s.strategies})
	s.route("/api/scenarios/{id}/analysis", map[string]http.HandlerFunc{"GET": s.operator(s.analysis)})
	s.route("/api/seats/{token}/profile", map[string]http.HandlerFunc{"GET": s.profile})
	s.route("/api/seats/{token}/evaluate", map[string]http.HandlerFunc{"POST": s.evaluate})
	s.route("/api/seats/{token}/packages", map[string]http.HandlerFunc{"GET": s.packages})
	s.route("/api/seats/{token}/analysis", map[string]http.HandlerFunc{"GET": s.seatAnalysis})
	s.route("/api/seats/{token}/suggestion", map[string]http.HandlerFunc{"GET": s.suggestion})
	s.route("/api/seats/{token}/messages", map[string]http.HandlerFunc{"POST": s.message})
	assets := http.FileServerFS(web.Assets())
	s.mux.Handle("GET /{$}", assets)
	s.mux.Handle("GET /assets/", http.StripPrefix("/assets/", assets))
}

func (s *Server) analysis(w http.ResponseWriter, r *http.Request) {
	a, err := s.m.Analysis(r.Context(), r.PathValue("id"), r.URL.Query().Get("variant"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) profile(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	p, err := s.m.Profile(r.Context(), acc)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) evaluate(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	var req api.Evaluate
	if err := decode(w, r, MaxBody, &req); err != nil {
		s.failDecode(w, err)
		return
	}
	ev, err := s.m.Evaluate(r.Context(), acc, req.Outcome)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ev)
}

func (s *Server) packages(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	num := func(name string, def float64) (float64, error) {
		v := q.Get(name)
		if v == "" {
			return def, nil
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, &session.Error{Code: session.CodeInvalid, Field: name, Message: name + " must be a number, not " + strconv.Quote(v)}
		}
		return x, nil
	}
	lo, err := num("min", 0)
	if err != nil {
		s.fail(w, err)
		return
	}
	hi, err := num("max", 1)
	if err != nil {
		s.fail(w, err)
		return
	}
	limit, err := num("limit", DefaultPackages)
	if err != nil {
		s.fail(w, err)
		return
	}
	ps, err := s.m.Packages(r.Context(), acc, lo, hi, int(limit))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ps)
}

func (s *Server) message(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	var msg api.Message
	if err := decode(w, r, MaxBody, &msg); err != nil {
		s.failDecode(w, err)
		return
	}
	ack, err := s.m.Send(r.Context(), acc, &msg)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ack)
}

func (s *Server) protocols(w http.ResponseWriter, r *http.Request) {
	out := []api.ProtocolInfo{}
	for _, p := range protocol.All() {
		out = append(out, api.ProtocolInfo{Name: p.Name, Summary: p.Summary, Indirect: p.Indirect, Mediator: p.Mediator != nil,
			MinParties: p.MinParties, MaxParties: p.MaxParties})
	}
	writeJSON(w, http.StatusOK, map[string]any{"protocols": out})
}

func (s *Server) strategies(w http.ResponseWriter, r *http.Request) {
	out := []api.StrategyInfo{}
	for _, st := range strategy.List() {
		si := api.StrategyInfo{Name: st.Name, Summary: st.Summary}
		for _, p := range st.Params {
			si.Params = append(si.Params, fmt.Sprintf("%s=%g: %s", p.Name, p.Default, p.Doc))
		}
		out = append(out, si)
	}
	writeJSON(w, http.StatusOK, map[string]any{"strategies": out})
}

func (s *Server) seatAnalysis(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	a, err := s.m.SeatAnalysis(r.Context(), acc)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) suggestion(w http.ResponseWriter, r *http.Request) {
	acc, ok := s.access(w, r)
	if !ok {
		return
	}
	sg, err := s.m.Suggest(r.Context(), acc)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, sg)
}

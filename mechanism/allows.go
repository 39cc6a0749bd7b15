package mechanism

// Answers lists the answer kinds that may answer a request of kind k in
// every protocol of this package; a mechanism whose rules differ says so
// with an Allows method (see Allows). A driver uses it to refuse an answer
// of the wrong kind before it reaches the mechanism (the server answers
// such a request 422 and leaves the session as it was) instead of letting
// the mechanism end the negotiation with a fault, as it must for an
// in-process party.
func (k RequestKind) Answers() []AnswerKind {
	switch k {
	case Propose:
		return []AnswerKind{Offer, End}
	case Respond:
		return []AnswerKind{Accept, Reject, Offer, End}
	case Vote:
		return []AnswerKind{Accept, Reject, End}
	case Compare:
		return []AnswerKind{Better, Worse, Same, End}
	case Relay:
		return []AnswerKind{Accept, Reject, Offer, End}
	case Improve:
		return []AnswerKind{Offer, End}
	}
	return nil
}

// Allows returns the answer kinds that m takes for its pending request r:
// m's own list when it has an AllowedAnswers method, r.Kind.Answers()
// otherwise.
func Allows(m Mechanism, r *Request) []AnswerKind {
	if a, ok := m.(interface {
		AllowedAnswers(r *Request) []AnswerKind
	}); ok {
		return a.AllowedAnswers(r)
	}
	return r.Kind.Answers()
}

// AllowedAnswers: the feedback mediator may also answer a propose request
// Accept, to call the final vote on the current text.
func (m *Feedback) AllowedAnswers(r *Request) []AnswerKind {
	if r.Kind == Propose {
		return []AnswerKind{Offer, Accept, End}
	}
	return r.Kind.Answers()
}

// AllowedAnswers: during the talks, the inner protocol's rules.
func (m *PostSettlement) AllowedAnswers(r *Request) []AnswerKind {
	if !m.phase2 && !m.done {
		return Allows(m.Inner, r)
	}
	return r.Kind.Answers()
}

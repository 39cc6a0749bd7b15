package scenario

// IssueTitle returns the human title of issue i of the space (the native
// format's issue `name`), or the issue's id when the scenario gives none.
func (s *Scenario) IssueTitle(i int) string {
	id := s.Space.Issues[i].Name
	if t, ok := s.metaAt("issues", id)["name"].(string); ok && t != "" {
		return t
	}
	return id
}

package server_test

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/api"
	"github.com/backchannel/backchannel/server"
)

// apiTypes are the JSON shapes of package api, each of which the OpenAPI
// document must describe under components.schemas by the same name.
// TestOpenAPISchemas fails when package api declares a struct not listed.
var apiTypes = []any{
	api.Deadline{}, api.NewSession{}, api.Created{}, api.SeatInfo{}, api.Snapshot{}, api.Event{},
	api.Request{}, api.Turn{}, api.End{}, api.Fault{}, api.Action{}, api.Ack{}, api.Error{},
	api.Status{}, api.Waiting{}, api.SeatStatus{}, api.Verdict{}, api.PartyVerdict{}, api.Point{},
	api.ScenarioInfo{}, api.IssueInfo{}, api.PartyInfo{},
	api.Profile{}, api.ProfileIssue{}, api.ProfileOption{}, api.Evaluate{}, api.Evaluation{}, api.Option{},
	api.Packages{}, api.Package{}, api.Analysis{}, api.Rule{}, api.Source{}, api.Message{}, api.MessageAck{}, api.ProtocolInfo{}, api.StrategyInfo{}, api.Suggestion{},
	// the session log (docs/commitments.md)
	api.LogHead{}, api.LeafProof{}, api.Receipt{}, api.LogExport{}, api.LogLeaf{}, api.MoveSignature{},
	api.Agreement{}, api.AgreementSignature{},
}

// document is the part of an OpenAPI 3.1 document the tests read.
type document struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas   map[string]*schema         `json:"schemas"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"components"`
}

type operation struct {
	OperationID string      `json:"operationId"`
	Parameters  []parameter `json:"parameters"`
	Responses   map[string]struct {
		Ref     string `json:"$ref"`
		Content map[string]struct {
			Schema *schema `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

type parameter struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
}

type schema struct {
	Ref        string             `json:"$ref"`
	Type       any                `json:"type"` // a name or a list of names
	Properties map[string]*schema `json:"properties"`
	Required   []string           `json:"required"`
	AllOf      []*schema          `json:"allOf"`
	AnyOf      []*schema          `json:"anyOf"`
}

func readDocument(t *testing.T) (document, []byte) {
	t.Helper()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc document
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: openapi is %q, want 3.x", doc.OpenAPI)
	}
	return doc, raw
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// TestOpenAPIRoutes checks the document against the routes server.New
// registers, in both directions: every route and method is documented with
// its path parameters, every documented path and method exists; every
// operation answers 429 and 500 besides its own statuses, and every error
// status carries the Error schema. It also checks that the server serves
// this very document.
func TestOpenAPIRoutes(t *testing.T) {
	doc, raw := readDocument(t)
	s := server.New(nil, server.Options{})
	if len(s.Routes) == 0 {
		t.Fatal("server.New registered no routes")
	}
	methods := map[string][]string{}
	for _, r := range s.Routes {
		methods[r.Pattern] = r.Methods
		ops, ok := doc.Paths[r.Pattern]
		if !ok {
			t.Errorf("route %s is not documented", r.Pattern)
			continue
		}
		for _, m := range r.Methods {
			if _, ok := ops[strings.ToLower(m)]; !ok {
				t.Errorf("%s %s is not documented", m, r.Pattern)
			}
		}
	}
	for path, ops := range doc.Paths {
		ms, ok := methods[path]
		if !ok {
			t.Errorf("the document has path %s, which the server does not route", path)
			continue
		}
		var want []string
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		for method, rawOp := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			if !slices.Contains(ms, strings.ToUpper(method)) {
				t.Errorf("the document has %s %s, which the server does not take (it takes %v)", strings.ToUpper(method), path, ms)
				continue
			}
			var op operation
			if err := json.Unmarshal(rawOp, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			checkOperation(t, &doc, method+" "+path, &op, want)
		}
	}

	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/openapi.json", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 || !bytes.Equal(body, raw) {
		t.Errorf("GET /api/openapi.json: %d, %d bytes; want 200 and openapi.json (%d bytes)", rec.Code, len(body), len(raw))
	}
}

func checkOperation(t *testing.T, doc *document, name string, op *operation, pathParams []string) {
	t.Helper()
	if op.OperationID == "" {
		t.Errorf("%s: no operationId", name)
	}
	var got []string
	for _, p := range op.Parameters {
		if p.In == "path" {
			if !p.Required {
				t.Errorf("%s: path parameter %s is not required", name, p.Name)
			}
			got = append(got, p.Name)
		}
	}
	sort.Strings(got)
	want := slices.Clone(pathParams)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: path parameters %v, the route has %v", name, got, want)
	}
	ok2xx := false
	for status, r := range op.Responses {
		if strings.HasPrefix(status, "2") {
			ok2xx = true
			continue
		}
		if status[0] != '4' && status[0] != '5' {
			t.Errorf("%s: response %s is neither a success nor an error", name, status)
			continue
		}
		content := r.Content
		if r.Ref != "" {
			key, found := strings.CutPrefix(r.Ref, "#/components/responses/")
			rawResp, ok := doc.Components.Responses[key]
			if !found || !ok {
				t.Errorf("%s: response %s: %s does not resolve", name, status, r.Ref)
				continue
			}
			var resp struct {
				Content map[string]struct {
					Schema *schema `json:"schema"`
				} `json:"content"`
			}
			json.Unmarshal(rawResp, &resp)
			content = resp.Content
		}
		if sc := content["application/json"].Schema; sc == nil || sc.Ref != "#/components/schemas/Error" {
			t.Errorf("%s: error response %s does not have the Error schema", name, status)
		}
	}
	if !ok2xx {
		t.Errorf("%s: no success response", name)
	}
	for _, status := range []string{"429", "500"} {
		if _, ok := op.Responses[status]; !ok {
			t.Errorf("%s: the %s every route may answer is not documented", name, status)
		}
	}
}

// TestOpenAPISchemas checks components.schemas against package api: a
// schema per struct, named as the type, whose properties are the struct's
// JSON names with matching JSON types, and which requires no field that
// may be left out (omitempty). Every $ref in the document resolves.
func TestOpenAPISchemas(t *testing.T) {
	doc, raw := readDocument(t)
	listed := map[string]reflect.Type{}
	for _, v := range apiTypes {
		listed[reflect.TypeOf(v).Name()] = reflect.TypeOf(v)
	}
	for _, name := range apiStructs(t) {
		if listed[name] == nil {
			t.Errorf("package api declares struct %s, which apiTypes does not list: add it here and to openapi.json", name)
		}
	}
	for name, typ := range listed {
		sc := doc.Components.Schemas[name]
		if sc == nil {
			t.Errorf("no schema %s for api.%s", name, name)
			continue
		}
		fields := map[string]reflect.StructField{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == "-" || !f.IsExported() {
				continue
			}
			if tag == "" {
				tag = f.Name
			}
			fields[tag] = f
			p := sc.Properties[tag]
			if p == nil {
				t.Errorf("schema %s has no property %q (api.%s.%s)", name, tag, name, f.Name)
				continue
			}
			if err := typeMatches(f.Type, p, strings.Contains(opts, "omitempty")); err != "" {
				t.Errorf("schema %s, property %q: %s", name, tag, err)
			}
			if strings.Contains(opts, "omitempty") && slices.Contains(sc.Required, tag) {
				t.Errorf("schema %s requires %q, which api.%s leaves out when empty", name, tag, name)
			}
		}
		for prop := range sc.Properties {
			if _, ok := fields[prop]; !ok {
				t.Errorf("schema %s has property %q, which api.%s does not have", name, prop, name)
			}
		}
		for _, r := range sc.Required {
			if _, ok := fields[r]; !ok {
				t.Errorf("schema %s requires %q, which it does not have", name, r)
			}
		}
	}
	for _, ref := range regexp.MustCompile(`"\$ref":\s*"([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
		kind, key, _ := strings.Cut(strings.TrimPrefix(ref[1], "#/components/"), "/")
		found := false
		switch kind {
		case "schemas":
			found = doc.Components.Schemas[key] != nil
		case "responses":
			found = doc.Components.Responses[key] != nil
		}
		if !found {
			t.Errorf("$ref %s does not resolve", ref[1])
		}
	}
}

// typeMatches says what is wrong with p as the schema of a Go field of
// type typ, or "".
func typeMatches(typ reflect.Type, p *schema, omitempty bool) string {
	types, refs := p.types()
	nullable := slices.Contains(types, "null")
	if typ.Kind() == reflect.Pointer {
		if !omitempty && !nullable {
			return "a pointer without omitempty can be null; the schema does not allow it"
		}
		typ = typ.Elem()
	} else if nullable {
		return "allows null, which the field never is"
	}
	if typ == reflect.TypeOf(json.RawMessage(nil)) {
		if !slices.Contains(types, "object") {
			return "a JSON document (json.RawMessage) should be an object"
		}
		return ""
	}
	want := map[reflect.Kind]string{reflect.String: "string", reflect.Int: "integer", reflect.Int64: "integer", reflect.Uint64: "integer",
		reflect.Float64: "number", reflect.Bool: "boolean", reflect.Slice: "array", reflect.Map: "object"}[typ.Kind()]
	if typ.Kind() == reflect.Struct {
		if !slices.Contains(refs, "#/components/schemas/"+typ.Name()) {
			return "want a $ref to #/components/schemas/" + typ.Name()
		}
		return ""
	}
	if want == "" {
		return "the test does not know Go kind " + typ.Kind().String()
	}
	if !slices.Contains(types, want) {
		return "type " + strings.Join(types, "|") + ", want " + want
	}
	return ""
}

// types returns the JSON types and $refs p allows, looking into allOf and
// anyOf.
func (p *schema) types() (types, refs []string) {
	switch v := p.Type.(type) {
	case string:
		types = append(types, v)
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				types = append(types, s)
			}
		}
	}
	if p.Ref != "" {
		refs = append(refs, p.Ref)
	}
	for _, q := range append(slices.Clone(p.AllOf), p.AnyOf...) {
		t, r := q.types()
		types, refs = append(types, t...), append(refs, r...)
	}
	return types, refs
}

// apiStructs returns the names of the struct types package api declares.
func apiStructs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "api", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, sp := range gd.Specs {
				ts := sp.(*ast.TypeSpec)
				if _, ok := ts.Type.(*ast.StructType); ok && ts.Name.IsExported() {
					names = append(names, ts.Name.Name)
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("found no struct in package api")
	}
	return names
}

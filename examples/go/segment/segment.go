// Package segment binds libsegment through cgo.
//
// Errors carry the message of the handle involved (seg_dataset_errmsg and
// friends), never the thread-local one alone: goroutines move between OS
// threads between two cgo calls. Handles are freed by Close, or by a
// finalizer when the garbage collector finds them unreachable; they may be
// freed in any order.
package segment

/*
#cgo LDFLAGS: -lsegment
#include <stdlib.h>
#include <segment.h>

extern int goCollect(char *data, size_t len, void *user);

static int seg_go_collect(const char *data, size_t len, void *user)
{
	return goCollect((char *)data, len, user);
}

static int seg_go_explain(const seg_rules *r, const seg_dataset *ds,
                          size_t row, int format, void *user)
{
	return seg_rules_explain(r, ds, row, format, seg_go_collect, user);
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"strings"
	"unsafe"
)

// Error is a failed call: the seg_status code and the library's message.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("segment: %s (%d)", e.Message, e.Code) }

func fail(rc C.int, msg *C.char) error {
	if rc >= 0 {
		return nil
	}
	return &Error{Code: int(rc), Message: C.GoString(msg)}
}

// noHandle runs a call that creates a handle: its failure message is
// thread-local, so the goroutine stays on its thread until it is read.
func noHandle(call func() C.int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rc := call()
	if rc < 0 {
		return &Error{Code: int(rc), Message: C.GoString(C.seg_errmsg())}
	}
	return nil
}

//export goCollect
func goCollect(data *C.char, n C.size_t, user unsafe.Pointer) C.int {
	b := cgo.Handle(user).Value().(*strings.Builder)
	b.Write(C.GoBytes(unsafe.Pointer(data), C.int(n)))
	return 0
}

func cstr(s string) *C.char { return C.CString(s) }

// Dataset holds customers, their records and columns.
type Dataset struct{ p *C.seg_dataset }

// NewDataset makes an empty dataset.
func NewDataset() (*Dataset, error) {
	var p *C.seg_dataset
	if err := noHandle(func() C.int { return C.seg_dataset_new(&p) }); err != nil {
		return nil, err
	}
	d := &Dataset{p}
	runtime.SetFinalizer(d, (*Dataset).Close)
	return d, nil
}

// Close frees the dataset; calling it again does nothing.
func (d *Dataset) Close() {
	if d.p != nil {
		C.seg_dataset_free(d.p)
		d.p = nil
	}
}

func (d *Dataset) err(rc C.int) error { return fail(rc, C.seg_dataset_errmsg(d.p)) }

// Len is the number of customers.
func (d *Dataset) Len() int { return int(C.seg_dataset_customer_count(d.p)) }

// SetThreads sets the threads LoadCSV and ComputeFeatures may use: 0 (the
// default) for the machine's processors, 1 for the calling thread alone.
func (d *Dataset) SetThreads(n int) error {
	return d.err(C.seg_dataset_set_threads(d.p, C.int(n)))
}

// CSV says how LoadCSV reads a file: columns by header name or 1-based
// number; empty fields keep the defaults.
type CSV struct {
	ID, Time, Amount, Kind, Value string
	Attributes                    []string
	NoHeader                      bool
}

// LoadCSV loads transactions, events or attributes from a CSV file.
func (d *Dataset) LoadCSV(path string, o CSV) error {
	var opt C.seg_csv_options
	C.seg_csv_options_init(&opt)
	var keep []*C.char
	str := func(s string) *C.char {
		if s == "" {
			return nil
		}
		c := cstr(s)
		keep = append(keep, c)
		return c
	}
	defer func() {
		for _, c := range keep {
			C.free(unsafe.Pointer(c))
		}
	}()
	opt.id_column, opt.time_column = str(o.ID), str(o.Time)
	opt.amount_column, opt.kind_column = str(o.Amount), str(o.Kind)
	opt.value_column = str(o.Value)
	if o.NoHeader {
		opt.has_header = 0
	}
	if len(o.Attributes) > 0 {
		arr := (*[1 << 20]*C.char)(C.malloc(C.size_t(len(o.Attributes)) *
			C.size_t(unsafe.Sizeof(uintptr(0)))))
		defer C.free(unsafe.Pointer(arr))
		for i, a := range o.Attributes {
			arr[i] = str(a)
		}
		opt.attribute_columns = &arr[0]
		opt.n_attribute_columns = C.size_t(len(o.Attributes))
	}
	p := cstr(path)
	defer C.free(unsafe.Pointer(p))
	return d.err(C.seg_dataset_load_csv(d.p, p, &opt))
}

// ComputeFeatures computes the feature columns at asOf (a date, or "" for
// the latest record) in "day" or "week" units.
func (d *Dataset) ComputeFeatures(asOf, unit string) error {
	var opt C.seg_features_options
	C.seg_features_options_init(&opt)
	if asOf != "" {
		c := cstr(asOf)
		defer C.free(unsafe.Pointer(c))
		var t C.int64_t
		if rc := C.seg_time_parse(&t, c, C.size_t(len(asOf)), C.SEG_TIME_AUTO); rc < 0 {
			return &Error{int(rc), "as of: not a date or time: " + asOf}
		}
		if len(asOf) == 10 || len(asOf) == 8 {
			t += 86399 // a date means its end
		}
		opt.as_of = t
	}
	if unit == "week" {
		opt.time_unit = C.SEG_UNIT_WEEK
	}
	return d.err(C.seg_dataset_compute_features(d.p, &opt))
}

// Numbers copies a numeric column (NaN where missing).
func (d *Dataset) Numbers(column string) ([]float64, error) {
	c := cstr(column)
	defer C.free(unsafe.Pointer(c))
	out := make([]float64, d.Len())
	if len(out) == 0 {
		return out, nil
	}
	rc := C.seg_dataset_copy_f64(d.p, c, (*C.double)(unsafe.Pointer(&out[0])), C.size_t(len(out)))
	return out, d.err(rc)
}

// Labels copies a label column ("" where missing).
func (d *Dataset) Labels(column string) ([]string, error) {
	c := cstr(column)
	defer C.free(unsafe.Pointer(c))
	n := d.Len()
	raw := make([]*C.char, n+1)
	if rc := C.seg_dataset_copy_labels(d.p, c, &raw[0], C.size_t(n)); rc < 0 {
		return nil, d.err(rc)
	}
	out := make([]string, n)
	for i := 0; i < n; i++ {
		if raw[i] != nil {
			out[i] = C.GoString(raw[i])
		}
	}
	return out, nil
}

// Row finds a customer's row.
func (d *Dataset) Row(id string) (int, error) {
	c := cstr(id)
	defer C.free(unsafe.Pointer(c))
	var row C.size_t
	return int(row), d.err(C.seg_dataset_customer_find(d.p, c, &row))
}

// Model is a scoring model created by kind.
type Model struct{ p *C.seg_model }

// NewModel creates a model of a kind ("rfm", "bgnbd", "clv", ...).
func NewModel(kind string) (*Model, error) {
	c := cstr(kind)
	defer C.free(unsafe.Pointer(c))
	var p *C.seg_model
	if err := noHandle(func() C.int { return C.seg_model_new(&p, c) }); err != nil {
		return nil, err
	}
	m := &Model{p}
	runtime.SetFinalizer(m, (*Model).Close)
	return m, nil
}

// Close frees the model.
func (m *Model) Close() {
	if m.p != nil {
		C.seg_model_free(m.p)
		m.p = nil
	}
}

func (m *Model) err(rc C.int) error { return fail(rc, C.seg_model_errmsg(m.p)) }

// Set sets a parameter from text.
func (m *Model) Set(name, value string) error {
	n, v := cstr(name), cstr(value)
	defer C.free(unsafe.Pointer(n))
	defer C.free(unsafe.Pointer(v))
	return m.err(C.seg_model_set(m.p, n, v))
}

// Fit learns from a dataset.
func (m *Model) Fit(d *Dataset) error {
	rc := C.seg_model_fit(m.p, d.p)
	runtime.KeepAlive(d)
	return m.err(rc)
}

// Score writes the model's columns into a dataset.
func (m *Model) Score(d *Dataset) error {
	rc := C.seg_model_score(m.p, d.p)
	runtime.KeepAlive(d)
	return m.err(rc)
}

// Result reads a fit result ("r", "se.r", "loglik", ...).
func (m *Model) Result(name string) (float64, error) {
	c := cstr(name)
	defer C.free(unsafe.Pointer(c))
	var v C.double
	return float64(v), m.err(C.seg_model_result(m.p, c, &v))
}

// Rules is a compiled tier-rule set.
type Rules struct{ p *C.seg_rules }

// ParseRules compiles rules; name appears in error messages.
func ParseRules(text, name string) (*Rules, error) {
	t, n := cstr(text), cstr(name)
	defer C.free(unsafe.Pointer(t))
	defer C.free(unsafe.Pointer(n))
	var p *C.seg_rules
	err := noHandle(func() C.int {
		return C.seg_rules_parse(&p, t, C.size_t(len(text)), n)
	})
	if err != nil {
		return nil, err
	}
	r := &Rules{p}
	runtime.SetFinalizer(r, (*Rules).Close)
	return r, nil
}

// Close frees the rule set.
func (r *Rules) Close() {
	if r.p != nil {
		C.seg_rules_free(r.p)
		r.p = nil
	}
}

func (r *Rules) err(rc C.int) error { return fail(rc, C.seg_rules_errmsg(r.p)) }

// Apply writes the tier column (column "" uses the rules' own name).
func (r *Rules) Apply(d *Dataset, column string) error {
	var c *C.char
	if column != "" {
		c = cstr(column)
		defer C.free(unsafe.Pointer(c))
	}
	rc := C.seg_rules_apply(r.p, d.p, c)
	runtime.KeepAlive(d)
	return r.err(rc)
}

// Explain tells why a customer got its tier, as text or JSON.
func (r *Rules) Explain(d *Dataset, id string, json bool) (string, error) {
	row, err := d.Row(id)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	h := cgo.NewHandle(&b)
	defer h.Delete()
	format := C.int(C.SEG_FORMAT_TEXT)
	if json {
		format = C.SEG_FORMAT_JSON
	}
	rc := C.seg_go_explain(r.p, d.p, C.size_t(row), format, unsafe.Pointer(h))
	runtime.KeepAlive(d)
	return b.String(), r.err(rc)
}

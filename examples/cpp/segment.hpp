// A header-only C++ wrapper of libsegment: handles owned by std::unique_ptr
// with the library's free functions as deleters, and status codes turned
// into exceptions that carry the library's message.
//
// Include it after building against libsegment (pkg-config segment); it
// needs C++11.
#ifndef SEGMENT_HPP
#define SEGMENT_HPP

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <segment.h>

namespace seg {

// A failed call: code() is the seg_status, what() the library's message.
class error : public std::runtime_error {
public:
    error(int code, const std::string &message)
        : std::runtime_error(message), code_(code) {}
    int code() const noexcept { return code_; }

private:
    int code_;
};

// The message is read after the call failed (the order in which a call's
// arguments are evaluated is unspecified), from the handle involved.
inline void check(int rc)
{
    if (rc < 0)
        throw error(rc, seg_errmsg());
}
inline void check(int rc, const seg_dataset *ds)
{
    if (rc < 0)
        throw error(rc, seg_dataset_errmsg(ds));
}
inline void check(int rc, const seg_model *m)
{
    if (rc < 0)
        throw error(rc, seg_model_errmsg(m));
}
inline void check(int rc, const seg_rules *r)
{
    if (rc < 0)
        throw error(rc, seg_rules_errmsg(r));
}

struct dataset_deleter {
    void operator()(seg_dataset *p) const noexcept { seg_dataset_free(p); }
};
struct model_deleter {
    void operator()(seg_model *p) const noexcept { seg_model_free(p); }
};
struct rules_deleter {
    void operator()(seg_rules *p) const noexcept { seg_rules_free(p); }
};

namespace detail {
inline int collect(const char *data, size_t len, void *user)
{
    static_cast<std::string *>(user)->append(data, len);
    return 0;
}
} // namespace detail

class Dataset {
public:
    Dataset()
    {
        seg_dataset *d = nullptr;
        check(seg_dataset_new(&d));
        p_.reset(d);
    }

    seg_dataset *get() const noexcept { return p_.get(); }
    size_t size() const noexcept { return seg_dataset_customer_count(get()); }

    /// Threads that loading and features may use (0: the processors).
    void set_threads(int threads)
    {
        check(seg_dataset_set_threads(get(), threads), get());
    }

    void load_csv(const std::string &path,
                  const seg_csv_options *options = nullptr)
    {
        check(seg_dataset_load_csv(get(), path.c_str(), options), get());
    }

    void add_transaction(const std::string &id, int64_t time, double amount)
    {
        check(seg_dataset_add_transaction(get(), id.c_str(), time, amount),
              get());
    }

    void compute_features(const seg_features_options *options = nullptr)
    {
        check(seg_dataset_compute_features(get(), options), get());
    }

    std::vector<double> numbers(const std::string &column) const
    {
        std::vector<double> v(size());
        check(seg_dataset_copy_f64(get(), column.c_str(), v.data(), v.size()),
              get());
        return v;
    }

    // Labels; an empty string where the label is missing.
    std::vector<std::string> labels(const std::string &column) const
    {
        std::vector<const char *> raw(size());
        check(seg_dataset_copy_labels(get(), column.c_str(), raw.data(),
                                      raw.size()),
              get());
        return to_strings(raw);
    }

    std::string id(size_t row) const
    {
        const char *s = seg_dataset_customer_id(get(), row);
        if (!s)
            throw error(SEG_ERANGE, "row out of range");
        return s;
    }

    std::string summary(const std::string &by,
                        const std::vector<std::string> &values) const
    {
        std::vector<const char *> v;
        for (const auto &s : values)
            v.push_back(s.c_str());
        std::string out;
        check(seg_dataset_summary(get(), by.c_str(), v.data(), v.size(),
                                  SEG_FORMAT_CSV, detail::collect, &out),
              get());
        return out;
    }

private:
    static std::vector<std::string> to_strings(
        const std::vector<const char *> &raw)
    {
        std::vector<std::string> out;
        out.reserve(raw.size());
        for (const char *s : raw)
            out.emplace_back(s ? s : "");
        return out;
    }
    std::unique_ptr<seg_dataset, dataset_deleter> p_;
};

class Model {
public:
    explicit Model(const std::string &kind)
    {
        seg_model *m = nullptr;
        check(seg_model_new(&m, kind.c_str()));
        p_.reset(m);
    }

    static Model load(const std::string &path)
    {
        seg_model *m = nullptr;
        check(seg_model_load(&m, path.c_str()));
        return Model(m);
    }

    seg_model *get() const noexcept { return p_.get(); }

    Model &set(const std::string &name, const std::string &value)
    {
        check(seg_model_set(get(), name.c_str(), value.c_str()), get());
        return *this;
    }

    void fit(const Dataset &ds) { check(seg_model_fit(get(), ds.get()), get()); }
    void score(Dataset &ds) const
    {
        check(seg_model_score(get(), ds.get()), get());
    }
    void save(const std::string &path) const
    {
        check(seg_model_save(get(), path.c_str()), get());
    }

    double result(const std::string &name) const
    {
        double v;
        check(seg_model_result(get(), name.c_str(), &v), get());
        return v;
    }

    double eval(const std::string &quantity, const std::vector<double> &args) const
    {
        double v;
        check(seg_model_eval(get(), quantity.c_str(), args.data(), args.size(),
                             &v),
              get());
        return v;
    }

private:
    explicit Model(seg_model *m) : p_(m) {}
    std::unique_ptr<seg_model, model_deleter> p_;
};

class Rules {
public:
    Rules(const std::string &text, const std::string &name = "<rules>")
    {
        seg_rules *r = nullptr;
        check(seg_rules_parse(&r, text.data(), text.size(), name.c_str()));
        p_.reset(r);
    }

    seg_rules *get() const noexcept { return p_.get(); }

    void apply(Dataset &ds, const std::string &column = "") const
    {
        check(seg_rules_apply(get(), ds.get(),
                              column.empty() ? nullptr : column.c_str()),
              get());
    }

    std::string explain(const Dataset &ds, size_t row, bool json = false) const
    {
        std::string out;
        check(seg_rules_explain(get(), ds.get(), row,
                                json ? SEG_FORMAT_JSON : SEG_FORMAT_TEXT,
                                detail::collect, &out),
              get());
        return out;
    }

private:
    std::unique_ptr<seg_rules, rules_deleter> p_;
};

} // namespace seg

#endif

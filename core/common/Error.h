#pragma once
// The one error policy of core/: every failure a user can act on is thrown as circnn::Error (or a
// subclass) with a message that names the file, the layer and what was expected vs. found.
// The app boundary (CLI main, GUI actions) catches circnn::Error and shows what().

#include <stdexcept>
#include <string>

namespace circnn {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Bad arguments: shapes that do not match, block size out of range, empty matrices.
class ShapeError : public Error {
public:
    using Error::Error;
};

// A file that cannot be read as what it claims to be (corrupt, truncated, unsupported content).
class FormatError : public Error {
public:
    using Error::Error;
};

// Thrown by long operations when their progress callback returned false.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

} // namespace circnn

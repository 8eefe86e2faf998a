// `circnn subset`: writes the first N samples of a labelled dataset (any format readDataset
// reads) as a small HDF5 file (datasets "x" and "y"), e.g. the 1,000-image evaluation sets in
// sample_models/.

#include <ostream>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "io/DatasetFile.h"

namespace circnn::cli {

namespace {

int runSubset(const std::vector<std::string>& args, std::ostream& out, std::ostream&)
{
    ArgParser p("circnn subset", "Write the first N labelled samples of a dataset as HDF5 (x, y).");
    p.positional("DATA", "Images: IDX (.gz), HDF5 or .npz.");
    p.option("labels", "FILE", "IDX labels file (default: derived from the images file name).");
    p.option("count", "N", "Number of samples to keep (from the start).", "1000", 'n');
    p.flag("float", "Store float32 pixels (default: uint8, pixel = round(255·value)).");
    p.option("output", "OUT", "Output HDF5 file.", "", 'o');
    if (!p.parse(args, out))
        return 0;
    if (!p.given("output"))
        throw ArgError("-o OUT is required");
    DatasetOptions d;
    if (p.given("labels"))
        d.labelsPath = p.get("labels");
    d.limit = p.getInt("count", 1);
    if (d.limit < 1)
        throw ArgError("--count must be >= 1, got " + p.get("count"));
    const Dataset data = readDataset(p.get("DATA"), d);
    writeDatasetH5(data, p.get("output"), !p.given("float"));
    out << "wrote " << p.get("output") << " (" << data.count() << " samples, " << shapeToString(data.images.shape())
        << ")\n";
    return 0;
}

const CommandRegistrar registrar({"subset", "Write the first N samples of a labelled dataset as a small HDF5 file.",
                                  runSubset});

} // namespace

} // namespace circnn::cli

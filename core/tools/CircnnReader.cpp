// circnn-reader: reads one HDF5-based file (model or dataset) on behalf of circnn, circnn-studio
// and the tests, in a process of its own under time and memory limits (io/IsolatedReader.h).
// Not meant to be run by hand: the result goes to file descriptor 3 in the transfer format.

#include "io/IsolatedReader.h"

int main(int argc, char** argv) { return circnn::runReaderChild(argc, argv); }

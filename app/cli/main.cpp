#include <iostream>
#include <string>
#include <vector>

#include "CommandRegistry.h"

int main(int argc, char** argv)
{
    std::vector<std::string> args(argv + 1, argv + argc);
    return circnn::cli::runCli(args, std::cout, std::cerr);
}

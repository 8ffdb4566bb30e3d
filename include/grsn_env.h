// grsn_env.h — (being written in this session)
#ifndef GRSN_ENV_H
#define GRSN_ENV_H
#endif

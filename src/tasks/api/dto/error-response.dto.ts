import { ApiProperty } from '@nestjs/swagger';

/** Body of every 4xx/5xx other than the cancel conflict. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['priority must not be greater than 10'],
    description: 'What was wrong: one message, or one per invalid field.',
  })
  message!: string | string[];

  @ApiProperty({ example: 'Bad Request' })
  error!: string;
}
